/** Flags shared by the convert and create-random commands. */
import { existsSync } from 'node:fs';
import { UsageError } from '../cli/usage-error.js';
import { type LlamaGraphOptions, SERVING_GRAPH } from './llama-graph.js';

export const GRAPH_FLAGS = {
  dtype: { type: 'string' },
  logits: { type: 'string' },
  attention: { type: 'string' },
  ops: { type: 'string' },
  'kv-outputs': { type: 'string' },
} as const;

export const GRAPH_USAGE =
  '[--dtype float32|float16] [--logits all|last] [--attention eager|gqa] [--ops fused|plain] [--kv-outputs present|new]';

function oneOf<const T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

export function graphOptions(values: {
  dtype?: string;
  logits?: string;
  attention?: string;
  ops?: string;
  'kv-outputs'?: string;
}): LlamaGraphOptions {
  const attention = oneOf('attention', values.attention, ['eager', 'gqa'], 'eager');
  // GroupQueryAttention keeps its own shared buffer: it returns present, never new K/V alone.
  const kvOutputs = oneOf(
    'kv-outputs',
    values['kv-outputs'],
    ['present', 'new'],
    attention === 'gqa' ? 'present' : SERVING_GRAPH.kvOutputs!,
  );
  if (attention === 'gqa' && kvOutputs === 'new') {
    throw new UsageError('--kv-outputs new needs --attention eager (gqa returns its shared present buffer)');
  }
  return {
    dtype: oneOf('dtype', values.dtype, ['float32', 'float16'], 'float32'),
    logits: oneOf('logits', values.logits, ['all', 'last'], SERVING_GRAPH.logits!),
    attention,
    fused: oneOf('ops', values.ops, ['fused', 'plain'], SERVING_GRAPH.fused ? 'fused' : 'plain') === 'fused',
    kvOutputs,
  };
}

/** An input file that must exist: a missing one is the user's to fix (exit 2). */
export function existingFile(flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`--${flag}: no such file '${path}'`);
  return path;
}
