/** The graph flags shared by the convert and create-random commands. */
import { existsSync } from 'node:fs';
import { type LlamaGraphOptions, SERVING_GRAPH } from '../modelgen/llama-graph.js';
import { oneOfFlag } from './command.js';
import { UsageError } from './usage-error.js';

export const GRAPH_FLAGS = {
  dtype: { type: 'string' },
  logits: { type: 'string' },
  attention: { type: 'string' },
  ops: { type: 'string' },
  'kv-outputs': { type: 'string' },
} as const;

export const GRAPH_USAGE =
  '[--dtype float32|float16] [--logits all|last] [--attention eager|gqa] [--ops fused|plain] [--kv-outputs present|new]';

export function graphOptions(values: {
  dtype?: string;
  logits?: string;
  attention?: string;
  ops?: string;
  'kv-outputs'?: string;
}): LlamaGraphOptions {
  const attention = oneOfFlag('attention', values.attention, ['eager', 'gqa'], 'eager');
  // GroupQueryAttention keeps its own shared buffer: it returns present, never new K/V alone.
  const kvOutputs = oneOfFlag(
    'kv-outputs',
    values['kv-outputs'],
    ['present', 'new'],
    attention === 'gqa' ? 'present' : SERVING_GRAPH.kvOutputs!,
  );
  if (attention === 'gqa' && kvOutputs === 'new') {
    throw new UsageError('--kv-outputs new needs --attention eager (gqa returns its shared present buffer)');
  }
  return {
    dtype: oneOfFlag('dtype', values.dtype, ['float32', 'float16'], 'float32'),
    logits: oneOfFlag('logits', values.logits, ['all', 'last'], SERVING_GRAPH.logits!),
    attention,
    fused:
      oneOfFlag('ops', values.ops, ['fused', 'plain'], SERVING_GRAPH.fused ? 'fused' : 'plain') === 'fused',
    kvOutputs,
  };
}

/** An input file that must exist: a missing one is the user's to fix (exit 2). */
export function existingFile(flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`--${flag}: no such file '${path}'`);
  return path;
}
