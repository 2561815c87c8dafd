/**
 * The messages between the main thread and a worker thread. One worker holds one ONNX Runtime session
 * and runs the batching loop; everything that crosses the boundary is structured-clone data.
 */
import type { GenerationRequest } from '../engine/generation-params.js';
import type { ModelInfo, ModelLoadOptions } from '../engine/load-model.js';
import type { CancelReason, SequenceResult } from '../engine/sequence-result.js';

/** The model to load (the pool passes the worker index as the CUDA device), and how to batch. */
export interface WorkerOptions extends ModelLoadOptions {
  /** Most prompt tokens one prefill run takes; longer prompts are prefilled in chunks between decode steps. */
  prefillChunkTokens: number;
}

/** Main → worker. */
export type WorkerCommand =
  /**
   * streamTokens: send a 'token' event per generated token. Off (answers given whole at the end), the sequence
   * sends only its 'done': no message, and no main-thread wake-up, per decode step.
   */
  | { type: 'submit'; request: GenerationRequest; streamTokens: boolean }
  | { type: 'cancel'; id: string; reason: CancelReason }
  | { type: 'shutdown' }
  /**
   * Exit now, dropping what is in flight. The worker exits between two runs: terminating a thread inside an
   * ONNX Runtime run aborts the whole process.
   */
  | { type: 'terminate' }
  /**
   * Several of the above in order, as one message: sequences submitted together reach the worker together, so
   * its next prefill run can take them all.
   */
  | { type: 'commands'; commands: WorkerCommand[] };

/** Worker → main. */
export type WorkerEvent =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'load-failed'; message: string }
  /**
   * Text is stop-string-safe and whole UTF-8 characters: it never holds back text that is then emitted twice.
   * One per generated token (an EOS too, usually with text ''); the texts joined are the 'done' text. Sent
   * only for sequences submitted with streamTokens.
   */
  | { type: 'token'; id: string; tokenId: number; text: string }
  /** Its timings count from its arrival in the worker. */
  | ({ type: 'done'; id: string } & SequenceResult)
  /**
   * After every decode step: how many sequences ran in it, how many wait for a slot, and how many the prefill
   * run just before it took together (0: there was none). Held back until the next other event, or at most
   * 100 ms (thread.ts), so that a step whose tokens nobody streams costs no message of its own.
   */
  | { type: 'step'; batchSize: number; waiting: number; prefillBatchSize: number }
  /** Something the operator should see in the server's log (e.g. CUDA fell back to CPU). */
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /** Several of the above in order, as one message: a decode step's tokens cross the thread boundary together. */
  | { type: 'events'; events: WorkerEvent[] };
