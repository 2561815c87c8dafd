import type { InferenceSession } from 'onnxruntime-node';
import type { GenaiDecoderNames } from './genai-config.js';
import type { ModelConfig } from './model-config.js';

export type KvDtype = 'float32' | 'float16';

/** Where a decoder graph takes and returns each thing, read from the session rather than assumed. */
export interface IoLayout {
  inputIds: string;
  attentionMask: string;
  /** Absent in graphs that derive positions from the attention mask. */
  positionIds?: string;
  /** Per layer: the past key/value input names. */
  pastKeys: string[];
  pastValues: string[];
  /**
   * What the graph returns per layer: 'present' (Optimum: past + new, [B, kv_heads, P+S, hd]) or 'new' (this
   * run's K/V alone, [B, kv_heads, S, hd]; the caller keeps the cache).
   */
  kvOutputs: 'present' | 'new';
  /** Per layer: the output key/value names of that kind. */
  outputKeys: string[];
  outputValues: string[];
  logits: string;
  kvDtype: KvDtype;
  numLayers: number;
  kvHeads: number;
  headDim: number;
  /** Optimum's merged decoder: the bool [1] input choosing the with-past branch (false while the past is empty). */
  useCacheBranch?: string;
  /**
   * GroupQueryAttention graphs (onnxruntime-genai): a row's tokens must sit at positions 0..len-1 (GQA reads each
   * row's length from the mask's row sum), present is [B, kv_heads, max(past, total), hd] with the run's K/V at
   * each row's own positions, and several prompts are not prefilled in one run.
   */
  rightPadded: boolean;
}

export interface IoLayoutOptions {
  /** The names genai_config.json declares; default Optimum's (found by pattern). */
  names?: GenaiDecoderNames;
  /** The graph attends through GroupQueryAttention (see IoLayout.rightPadded). */
  groupQueryAttention: boolean;
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const PRESENT = /^present\.(\d+)\.(key|value)$/;
const NEW = /^new_key_values\.(\d+)\.(key|value)$/;

/** Collects `{i}.key|value` names by layer, checking that layers 0..n-1 all have both. */
function byLayer(
  names: readonly string[],
  pattern: RegExp,
  what: string,
): { keys: string[]; values: string[] } {
  const keys: string[] = [];
  const values: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const layer = Number(match[1]);
    (match[2] === 'key' ? keys : values)[layer] = name;
  }
  for (let layer = 0; layer < Math.max(keys.length, values.length); layer++) {
    if (keys[layer] === undefined || values[layer] === undefined) {
      throw new Error(`the graph's ${what} names skip layer ${layer}`);
    }
  }
  return { keys, values };
}

function tensorMetadata(list: readonly InferenceSession.ValueMetadata[], name: string) {
  const meta = list.find((m) => m.name === name);
  return meta?.isTensor ? meta : undefined;
}

/** A fixed dimension from the graph, else the config's value (dims may be symbolic). */
function dimension(
  shape: ReadonlyArray<number | string> | undefined,
  axis: number,
  fallback: number | undefined,
  what: string,
): number {
  const dim = shape?.[axis];
  if (typeof dim === 'number' && dim > 0) return dim;
  if (fallback === undefined)
    throw new Error(`the graph's past has no fixed ${what} and no configuration gives it`);
  return fallback;
}

/** The layers' names as genai_config.json declares them, checked against the session. */
function declaredByLayer(
  names: readonly string[],
  keyName: (layer: number) => string,
  valueName: (layer: number) => string,
): { keys: string[]; values: string[] } {
  const keys: string[] = [];
  const values: string[] = [];
  while (names.includes(keyName(keys.length)) && names.includes(valueName(keys.length))) {
    values.push(valueName(keys.length));
    keys.push(keyName(keys.length));
  }
  return { keys, values };
}

/** Reads the Optimum / onnxruntime-genai decoder layout from a session, with a clear error for anything else. */
export function detectIoLayout(
  session: InferenceSession,
  config: ModelConfig,
  options: IoLayoutOptions = { groupQueryAttention: false },
): IoLayout {
  const inputs = session.inputNames;
  const outputs = session.outputNames;
  const { names } = options;
  const inputIds = names?.inputIds ?? 'input_ids';
  const attentionMask = names?.attentionMask ?? 'attention_mask';
  const logits = names?.logits ?? 'logits';
  const describe = () => `inputs [${inputs.join(', ')}], outputs [${outputs.join(', ')}]`;
  for (const required of [inputIds, attentionMask]) {
    if (!inputs.includes(required)) {
      throw new Error(`unsupported decoder graph: no input '${required}' (${describe()})`);
    }
  }
  if (!outputs.includes(logits))
    throw new Error(`unsupported decoder graph: no output '${logits}' (${describe()})`);
  const past = names
    ? declaredByLayer(inputs, names.pastKey, names.pastValue)
    : byLayer(inputs, PAST, 'past_key_values');
  const present = names
    ? declaredByLayer(outputs, names.presentKey, names.presentValue)
    : byLayer(outputs, PRESENT, 'present');
  const fresh = byLayer(outputs, NEW, 'new_key_values');
  if (past.keys.length === 0) {
    throw new Error(`unsupported decoder graph: no past_key_values.{i}.key|value inputs (${describe()})`);
  }
  // New K/V alone lets the engine keep its cache in place; prefer it when a graph has both.
  const kvOutputs = fresh.keys.length > 0 && !options.groupQueryAttention ? 'new' : 'present';
  const returned = kvOutputs === 'new' ? fresh : present;
  if (returned.keys.length !== past.keys.length) {
    const what = kvOutputs === 'new' ? 'new_key_values' : 'present';
    throw new Error(
      `the graph has ${past.keys.length} past_key_values layers but ${returned.keys.length} ${what} layers`,
    );
  }
  const positionIds = names
    ? names.positionIds
    : inputs.includes('position_ids')
      ? 'position_ids'
      : undefined;
  const useCacheBranch = inputs.includes('use_cache_branch') ? 'use_cache_branch' : undefined;
  const known = new Set([inputIds, attentionMask, positionIds, useCacheBranch, ...past.keys, ...past.values]);
  const unknown = inputs.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new Error(`unsupported decoder graph: unexpected inputs [${unknown.join(', ')}]`);
  const pastMeta = tensorMetadata(session.inputMetadata, past.keys[0]!);
  const pastLength = pastMeta?.shape[2];
  if (typeof pastLength === 'number') {
    // A fixed past length is a shared past/present buffer (GroupQueryAttention). Neither KV cache feeds one: the
    // host cache passes a past as long as what it holds, the slot cache one as long as its current row capacity.
    throw new Error(
      `unsupported decoder graph: ${past.keys[0]} has a fixed past length of ${pastLength} (a shared past/present ` +
        'buffer); only graphs whose past grows with each step are supported',
    );
  }
  const kvDtype = pastMeta?.type ?? 'float32';
  if (kvDtype !== 'float32' && kvDtype !== 'float16') {
    throw new Error(`unsupported KV cache type ${kvDtype} (float32 or float16)`);
  }
  return {
    inputIds,
    attentionMask,
    positionIds,
    pastKeys: past.keys,
    pastValues: past.values,
    kvOutputs,
    outputKeys: returned.keys,
    outputValues: returned.values,
    logits,
    kvDtype,
    numLayers: past.keys.length,
    kvHeads: dimension(pastMeta?.shape, 1, config.numKeyValueHeads, 'number of key/value heads'),
    headDim: dimension(pastMeta?.shape, 3, config.headDim, 'head size'),
    useCacheBranch,
    rightPadded: options.groupQueryAttention,
  };
}
