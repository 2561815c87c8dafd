/**
 * A served model with no worker thread and no ONNX session, for the tests of what the server answers before
 * (or around) a generation: auth, request ids, validation, errors, routes. It has the tiny test model's
 * config and tokenizer (the context and token-count checks are the real ones); its generation is at once: each
 * sequence repeats its prompt's ids, cycling, up to max_new_tokens, and ends with 'length'.
 */
import { readModelConfig } from '../../src/engine/model-config.js';
import type { GenerateOptions, Generation } from '../../src/scheduler/scheduler.js';
import type { SequenceDone, SequenceEvent, SequenceSpec } from '../../src/scheduler/sequence-event.js';
import type { LoadedModel, ServedModel } from '../../src/server/model-service.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { tinyRandomModel } from './models.js';

export async function fakeModel(): Promise<ServedModel> {
  const modelDir = await tinyRandomModel();
  const [config, tokenizer] = await Promise.all([readModelConfig(modelDir), loadTokenizer(modelDir)]);

  function generate(sequences: readonly SequenceSpec[], options: GenerateOptions = {}): Generation {
    const outputs = sequences.map(({ promptIds, stopping }) =>
      Array.from({ length: stopping.maxNewTokens }, (_, i) => promptIds[i % promptIds.length]!),
    );
    const done = outputs.map(
      (ids, index): SequenceDone => ({
        type: 'done',
        index,
        finishReason: 'length',
        text: tokenizer.decode(ids),
        promptTokens: sequences[index]!.promptIds.length,
        generatedTokens: ids.length,
        timings: { queueMs: 0, firstTokenMs: 0, interTokenMs: ids.slice(1).map(() => 0), totalMs: 0 },
      }),
    );
    async function* events(): AsyncGenerator<SequenceEvent> {
      if (options.streamTokens ?? true) {
        for (const [index, ids] of outputs.entries()) {
          for (const tokenId of ids)
            yield { type: 'token', index, tokenId, text: tokenizer.decode([tokenId]) };
        }
      }
      yield* done;
    }
    const iterator = events();
    return {
      finished: Promise.resolve(done),
      next: () => iterator.next(),
      return: () => iterator.return(undefined),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  const loaded: LoadedModel = { config, tokenizer, scheduler: { generate } };
  return {
    name: 'fake-tiny',
    loaded: Promise.resolve(),
    readiness: () => ({ ready: 1, total: 1 }),
    ready: true,
    require: () => loaded,
    waiting: 0,
    running: 0,
    terminate: async () => {},
    close: async () => {},
  };
}
