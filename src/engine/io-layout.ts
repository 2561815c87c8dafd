import type { InferenceSession } from 'onnxruntime-node';
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
  fallback: number,
): number {
  const dim = shape?.[axis];
  return typeof dim === 'number' && dim > 0 ? dim : fallback;
}

/** Reads the Optimum / onnxruntime-genai decoder layout from a session, with a clear error for anything else. */
export function detectIoLayout(session: InferenceSession, config: ModelConfig): IoLayout {
  const inputs = session.inputNames;
  const outputs = session.outputNames;
  const describe = () => `inputs [${inputs.join(', ')}], outputs [${outputs.join(', ')}]`;
  for (const required of ['input_ids', 'attention_mask']) {
    if (!inputs.includes(required)) {
      throw new Error(`unsupported decoder graph: no input '${required}' (${describe()})`);
    }
  }
  if (!outputs.includes('logits'))
    throw new Error(`unsupported decoder graph: no output 'logits' (${describe()})`);
  const past = byLayer(inputs, PAST, 'past_key_values');
  const present = byLayer(outputs, PRESENT, 'present');
  const fresh = byLayer(outputs, NEW, 'new_key_values');
  if (past.keys.length === 0) {
    throw new Error(`unsupported decoder graph: no past_key_values.{i}.key|value inputs (${describe()})`);
  }
  // New K/V alone lets the engine keep its cache in place; prefer it when a graph has both.
  const kvOutputs = fresh.keys.length > 0 ? 'new' : 'present';
  const returned = kvOutputs === 'new' ? fresh : present;
  if (returned.keys.length !== past.keys.length) {
    const what = kvOutputs === 'new' ? 'new_key_values' : 'present';
    throw new Error(
      `the graph has ${past.keys.length} past_key_values layers but ${returned.keys.length} ${what} layers`,
    );
  }
  const known = new Set(['input_ids', 'attention_mask', 'position_ids', ...past.keys, ...past.values]);
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
    inputIds: 'input_ids',
    attentionMask: 'attention_mask',
    positionIds: inputs.includes('position_ids') ? 'position_ids' : undefined,
    pastKeys: past.keys,
    pastValues: past.values,
    kvOutputs,
    outputKeys: returned.keys,
    outputValues: returned.values,
    logits: 'logits',
    kvDtype,
    numLayers: past.keys.length,
    kvHeads: dimension(pastMeta?.shape, 1, config.numKeyValueHeads),
    headDim: dimension(pastMeta?.shape, 3, config.headDim),
  };
}
