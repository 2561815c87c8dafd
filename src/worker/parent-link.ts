/**
 * How a worker reaches the side that started it: the parent port of a worker thread, or the IPC channel of a
 * child process (forked with 'advanced' serialization, so messages are structured clones either way). The
 * worker's code is the same in both; only where its messages go differs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerCommand, WorkerEvent, WorkerOptions } from './protocol.js';

/** The environment variable a child-process worker finds its options in (JSON). */
export const WORKER_OPTIONS_ENV = 'LLAMA_ENDPOINT_WORKER_OPTIONS';

export interface ParentLink {
  readonly options: WorkerOptions;
  post(event: WorkerEvent): void;
  onCommand(listener: (command: WorkerCommand) => void): void;
  /** No more messages either way: the worker ends once its work is done. */
  close(): void;
}

export function connectToParent(): ParentLink {
  if (parentPort) {
    const port = parentPort;
    return {
      options: workerData as WorkerOptions,
      post: (event) => port.postMessage(event),
      onCommand: (listener) => port.on('message', listener),
      close: () => port.close(),
    };
  }
  const send = process.send?.bind(process);
  const json = process.env[WORKER_OPTIONS_ENV];
  if (!send || json === undefined)
    throw new Error('the worker runs only as a worker thread or a forked process');
  return {
    options: JSON.parse(json) as WorkerOptions,
    post: (event) => send(event),
    onCommand: (listener) => process.on('message', (command) => listener(command as WorkerCommand)),
    close: () => process.disconnect(),
  };
}
