/**
 * A worker in a child process, shaped like the part of worker_threads' Worker that WorkerHandle uses: a native
 * crash in ONNX Runtime (a segfault in a GPU provider, a driver abort) then ends this process alone, and the
 * pool starts a new one, where in a thread it would end the server with every other worker.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { WORKER_OPTIONS_ENV } from './parent-link.js';
import type { WorkerCommand, WorkerEvent, WorkerOptions } from './protocol.js';

export interface WorkerLike {
  on(event: 'message', listener: (event: WorkerEvent) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  postMessage(command: WorkerCommand): void;
}

interface ChildProcessWorkerEvents {
  message: [WorkerEvent];
  error: [Error];
  exit: [number];
}

export class ChildProcessWorker extends EventEmitter<ChildProcessWorkerEvents> implements WorkerLike {
  private readonly child: ChildProcess;

  constructor(entry: URL, options: WorkerOptions) {
    super();
    this.child = fork(entry, [], {
      serialization: 'advanced',
      env: { ...process.env, [WORKER_OPTIONS_ENV]: JSON.stringify(options) },
      // Its ONNX Runtime warnings go to the server's stderr, as a thread's do; stdout is the parent's too.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (event) => this.emit('message', event as WorkerEvent));
    this.child.on('error', (err) => this.emit('error', err));
    this.child.on('exit', (code, signal) => {
      // A crash has no exit code, only the signal that ended it: that is what the operator needs to read.
      if (signal !== null) this.emit('error', new Error(`the worker process was killed by ${signal}`));
      this.emit('exit', code ?? 1);
    });
  }

  postMessage(command: WorkerCommand): void {
    // A dead child's channel is closed: what was sent to it is answered by the 'exit' that follows.
    if (this.child.connected) this.child.send(command);
  }
}
