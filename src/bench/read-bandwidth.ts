/**
 * The machine's memory read bandwidth, as a decode step at batch 1 needs it: every core reading its share of a
 * buffer far larger than the caches, at once. A decode step of a large model reads every weight once, so
 * weight bytes ÷ this bandwidth is the fastest a step can be (the bandwidth bound).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

/** Each worker sums its slice of the shared buffer on request, four lanes at a time, and says when done. */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const words = new Int32Array(workerData.buffer, workerData.offset, workerData.length);
parentPort.on('message', () => {
  let a = 0, b = 0, c = 0, d = 0;
  for (let i = 0; i < words.length; i += 4) {
    a = (a + words[i]) | 0; b = (b + words[i + 1]) | 0; c = (c + words[i + 2]) | 0; d = (d + words[i + 3]) | 0;
  }
  parentPort.postMessage(a ^ b ^ c ^ d);
});
`;

export interface ReadBandwidth {
  /** The best pass, bytes per second. */
  bytesPerS: number;
  /** Every pass, bytes per second. */
  passes: number[];
  threads: number;
  bufferBytes: number;
}

export async function measureReadBandwidth(
  options: { bufferBytes?: number; passes?: number; threads?: number } = {},
): Promise<ReadBandwidth> {
  const threads = options.threads ?? availableParallelism();
  const slice = Math.floor((options.bufferBytes ?? 1024 * 2 ** 20) / threads / 16) * 16;
  const buffer = new SharedArrayBuffer(slice * threads);
  // Touch every page first, so no pass pays for the kernel's zero pages.
  new Int32Array(buffer).fill(1);
  const workers = Array.from(
    { length: threads },
    (_, t) =>
      new Worker(READER, { eval: true, workerData: { buffer, offset: t * slice, length: slice / 4 } }),
  );
  const pass = () =>
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('message', () => resolve());
            worker.postMessage(null);
          }),
      ),
    );
  try {
    await pass(); // warm-up: the workers' code is compiled, their slices in the page tables
    const passes: number[] = [];
    for (let i = 0; i < (options.passes ?? 5); i++) {
      const started = performance.now();
      await pass();
      passes.push(buffer.byteLength / ((performance.now() - started) / 1000));
    }
    return { bytesPerS: Math.max(...passes), passes, threads, bufferBytes: buffer.byteLength };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
