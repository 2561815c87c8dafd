/**
 * The worker thread: loads the tokenizer and the model, then runs the batching loop on the commands the main
 * thread sends. ONNX Runtime's run() blocks the thread it runs on, which is why it runs here.
 */
import { type LoadedModel, loadModel } from '../engine/load-model.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { BatchLoop } from './batch-loop.js';
import { errorMessage } from './error-message.js';
import { connectToParent } from './parent-link.js';
import type { WorkerCommand, WorkerEvent } from './protocol.js';

const parent = connectToParent();
const { options } = parent;
const post = (event: WorkerEvent) => parent.post(event);

/**
 * Events emitted in one synchronous burst (a decode step: a token per sequence, then the step) are posted as
 * one message when the loop next yields: one structured clone and one main-thread task instead of one each.
 * A message wakes the main thread, which then takes a core from ONNX Runtime's threads in the middle of a
 * run, so 'step' reports alone (nobody streams this step's tokens) wait for the next other event, or at most
 * STEP_REPORT_MS: they only feed metrics.
 */
const STEP_REPORT_MS = 100;
let pending: WorkerEvent[] = [];
let flushQueued = false;
let stepTimer: NodeJS.Timeout | undefined;
function flush(): void {
  flushQueued = false;
  clearTimeout(stepTimer);
  stepTimer = undefined;
  const events = pending;
  pending = [];
  if (events.length > 0) post(events.length === 1 ? events[0]! : { type: 'events', events });
}
function emit(event: WorkerEvent): void {
  pending.push(event);
  if (event.type === 'step') stepTimer ??= setTimeout(flush, STEP_REPORT_MS);
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
}

async function start(): Promise<void> {
  let loaded: [LoadedModel, Tokenizer];
  try {
    loaded = await Promise.all([
      loadModel(options, (level, message) => post({ type: 'log', level, message })),
      loadTokenizer(options.modelDir),
    ]);
  } catch (err) {
    // Nothing listens on the port yet, so the thread ends after this message.
    post({ type: 'load-failed', message: errorMessage(err) });
    return;
  }
  const [model, tokenizer] = loaded;
  const loop = new BatchLoop(model.runner, model.config, tokenizer, options, emit);
  const onCommand = async (command: WorkerCommand): Promise<void> => {
    if (command.type === 'commands') for (const each of command.commands) void onCommand(each);
    else if (command.type === 'submit') loop.submit(command.request, command.streamTokens);
    else if (command.type === 'cancel') loop.cancel(command.id, command.reason);
    // Messages are handled only between runs (run() is synchronous), so exiting here never interrupts one.
    else if (command.type === 'terminate') process.exit(0);
    else {
      await loop.drain();
      await model.runner.close();
      parent.close();
    }
  };
  parent.onCommand(onCommand);
  post({ type: 'ready', info: model.info });
}

await start();
