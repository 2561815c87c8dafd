/** Running sequences through a real WorkerHandle in tests: requests, and everything one sequence received. */
import assert from 'node:assert/strict';
import { type GenerationRequest, GREEDY } from '../../src/engine/generation-params.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { type StepEvent, WorkerHandle, type WorkerSequenceEvent } from '../../src/worker/handle.js';
import type { WorkerOptions } from '../../src/worker/protocol.js';

export type DoneEvent = Extract<WorkerSequenceEvent, { type: 'done' }>;
export type TokenEvent = Extract<WorkerSequenceEvent, { type: 'token' }>;

export interface SequenceRun {
  tokens: TokenEvent[];
  done: DoneEvent;
}

export function startWorker(modelDir: string, options: Partial<WorkerOptions> = {}): WorkerHandle {
  return new WorkerHandle({
    modelDir,
    provider: 'cpu',
    deviceId: 0,
    intraOpThreads: 1,
    maxBatchSize: 8,
    prefillChunkTokens: 64,
    ...options,
  });
}

let nextId = 0;

/** A greedy request unless `overrides` says otherwise; a fresh id each time. */
export function request(
  promptIds: number[],
  stopping: Partial<GenerationRequest['stopping']> = {},
  sampling: Partial<GenerationRequest['sampling']> = {},
): GenerationRequest {
  return {
    id: `seq-${nextId++}`,
    promptIds,
    sampling: { ...GREEDY, ...sampling },
    stopping: { maxNewTokens: 16, stop: [], ignoreEos: false, ...stopping },
  };
}

/**
 * Submits a request; resolves with its events once done. `onToken` sees each token event as it arrives (with
 * how many came before), e.g. to submit or cancel others mid-way.
 */
export function collect(
  handle: WorkerHandle,
  req: GenerationRequest,
  onToken?: (event: TokenEvent, count: number) => void,
): Promise<SequenceRun> {
  return new Promise((resolve) => {
    const tokens: TokenEvent[] = [];
    handle.submit(req, (event) => {
      if (event.type === 'token') {
        tokens.push(event);
        onToken?.(event, tokens.length);
      } else resolve({ tokens, done: event });
    });
  });
}

/** Each run alone, one after another: the reference a batch must reproduce. */
export async function runAlone(handle: WorkerHandle, requests: GenerationRequest[]): Promise<SequenceRun[]> {
  const runs: SequenceRun[] = [];
  for (const req of requests) runs.push(await collect(handle, { ...req, id: `${req.id}-alone` }));
  return runs;
}

export const tokenIds = (run: SequenceRun) => run.tokens.map((t) => t.tokenId);

/** Batching changes no one's output: run i generated exactly the tokens of `alone[i]`, its request run alone. */
export function assertTokensAsAlone(
  runs: readonly SequenceRun[],
  alone: readonly SequenceRun[],
  label: (i: number) => string = (i) => `sequence ${i}`,
): void {
  assert.equal(runs.length, alone.length);
  runs.forEach((run, i) => {
    assert.deepEqual(tokenIds(run), tokenIds(alone[i]!), label(i));
  });
}

/** Every 'step' event of a handle from now on. */
export function recordSteps(handle: WorkerHandle): StepEvent[] {
  const steps: StepEvent[] = [];
  handle.on('step', (step) => steps.push(step));
  return steps;
}

/**
 * Greedy tokens for `prompts`, each alone and then all batched, with 5-token chunks so later chunks read a
 * past; the batched run is checked to have held every prompt in one batch.
 */
export async function greedyAloneAndBatched(
  modelDir: string,
  prompts: readonly string[],
  maxNewTokens: number,
  options: Partial<WorkerOptions> = {},
) {
  const tokenizer = await loadTokenizer(modelDir);
  const handle = startWorker(modelDir, { prefillChunkTokens: 5, ...options });
  try {
    const info = await handle.ready;
    const requests = prompts.map((text) =>
      request(tokenizer.encode(text), { maxNewTokens, ignoreEos: true }),
    );
    const alone = await runAlone(handle, requests);
    const steps = recordSteps(handle);
    const batched = await Promise.all(requests.map((req) => collect(handle, req)));
    assert.equal(Math.max(...steps.map((s) => s.batchSize)), prompts.length);
    return { info, requests, alone: alone.map(tokenIds), batched: batched.map(tokenIds) };
  } finally {
    await handle.shutdown();
  }
}
