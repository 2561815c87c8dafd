/**
 * Does a worker in a child process cost anything per token against a worker thread? The same greedy
 * generations (concurrent, every token streamed back: a message per decode step, the most crossing there is)
 * run through a WorkerHandle of each kind, in interleaved rounds, on two random models: `tiny` (≈0.3 ms a step,
 * where any per-message cost shows most) and `bench` (the benchmark's 59M-parameter model). Prints ms per
 * generated token for each and the ratio process/thread per round and its median. Usage:
 * `node dist/scripts/worker-isolation-bench.js [--rounds N]`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../src/bench/percentiles.js';
import { GREEDY } from '../src/engine/generation-params.js';
import { createRandomModel } from '../src/modelgen/create-random-model.js';
import type { PresetName } from '../src/modelgen/llama-config.js';
import { WorkerHandle, type WorkerIsolation } from '../src/worker/handle.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONCURRENCY = 8;
const NEW_TOKENS = 64;
const PROMPT = Array.from({ length: 16 }, (_, i) => 100 + i);
const ISOLATIONS: WorkerIsolation[] = ['thread', 'process'];

const log = (line: string) => process.stdout.write(`${line}\n`);

let nextId = 0;

/** CONCURRENCY streamed greedy generations at once; ms per generated token. */
async function msPerToken(handle: WorkerHandle): Promise<number> {
  const started = performance.now();
  const generated = await Promise.all(
    Array.from(
      { length: CONCURRENCY },
      () =>
        new Promise<number>((resolve, reject) => {
          handle.submit(
            {
              id: `s${nextId++}`,
              promptIds: PROMPT,
              sampling: GREEDY,
              stopping: { maxNewTokens: NEW_TOKENS, stop: [], ignoreEos: true },
            },
            (event) => {
              if (event.type !== 'done') return;
              if (event.finishReason === 'error') reject(new Error(event.error?.message));
              else resolve(event.generatedTokens);
            },
          );
        }),
    ),
  );
  return (performance.now() - started) / generated.reduce((a, b) => a + b, 0);
}

async function measure(preset: PresetName, rounds: number): Promise<void> {
  const modelDir = join(REPO_ROOT, 'models', `${preset}-isolation-bench`);
  if (!existsSync(modelDir)) await createRandomModel({ preset, outDir: modelDir });
  const options = {
    modelDir,
    provider: 'cpu',
    deviceId: 0,
    intraOpThreads: 0,
    maxBatchSize: CONCURRENCY,
    prefillChunkTokens: 128,
  } as const;
  const handles = ISOLATIONS.map((isolation) => new WorkerHandle(options, isolation));
  try {
    await Promise.all(handles.map((handle) => handle.ready));
    for (const handle of handles) await msPerToken(handle); // warm-up
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so a drift of machine speed falls on both alike.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      const ms: number[] = [];
      for (const i of order) ms[i] = await msPerToken(handles[i]!);
      ratios.push(ms[1]! / ms[0]!);
      log(
        `${preset} round ${round + 1}: thread ${ms[0]!.toFixed(3)} ms/token, process ${ms[1]!.toFixed(3)} ms/token, ` +
          `process/thread ${ratios.at(-1)!.toFixed(3)}`,
      );
    }
    log(`${preset}: median process/thread ${median(ratios).toFixed(3)} (${rounds} rounds)`);
  } finally {
    await Promise.all(handles.map((handle) => handle.shutdown()));
  }
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
for (const preset of ['tiny', 'bench'] as const) await measure(preset, rounds);
