import { GREEDY, type SamplingParams } from '../../engine/generation-params.js';
import { type ModelConfig, readModelConfig } from '../../engine/model-config.js';
import { contextOverflow, DEFAULT_MAX_NEW_TOKENS } from '../../engine/request-limits.js';
import type { SequenceResult } from '../../engine/sequence-result.js';
import { loadTokenizer } from '../../tokenizer/load.js';
import { WorkerHandle } from '../../worker/handle.js';
import {
  type Command,
  directoryFlag,
  intFlag,
  numberFlag,
  parseCommandArgs,
  providerFlag,
  requireFlag,
} from '../command.js';
import { UsageError } from '../usage-error.js';

const usage = `Usage: llama-endpoint generate --model DIR --prompt TEXT [--max-new-tokens N]
         [--greedy | --temperature T --top-p P --top-k K --seed S] [--provider cpu|cuda|webgpu|auto]

Prints the prompt and its continuation, streamed as it is generated, without a server.
Sampling defaults come from the model's generation_config.json (greedy when it says nothing).

  --model DIR           model directory (env MODEL_DIR)
  --prompt TEXT         the prompt
  --max-new-tokens N    tokens to generate at most (default: generation_config's, else ${DEFAULT_MAX_NEW_TOKENS})
  --greedy              always take the most likely token
  --temperature T       sampling temperature (0 = greedy)
  --top-p P             nucleus sampling mass, (0, 1]
  --top-k K             sample among the K most likely tokens (0 = all)
  --seed S              same seed, same text
  --provider NAME       cpu (default), cuda, webgpu (must load) or auto (the first that loads) (env PROVIDER)`;

const options = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  greedy: { type: 'boolean' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  seed: { type: 'string' },
  provider: { type: 'string' },
} as const;

type Values = Partial<Record<Exclude<keyof typeof options, 'greedy'>, string>> & { greedy?: boolean };

/** --greedy, or sampling from the flags over generation_config's defaults. */
function samplingParams(values: Values, defaults: ModelConfig['generationDefaults']): SamplingParams {
  const samplingFlags = (['temperature', 'top-p', 'top-k', 'seed'] as const).filter(
    (f) => values[f] !== undefined,
  );
  if (values.greedy) {
    if (samplingFlags.length > 0)
      throw new UsageError(`--greedy cannot be combined with --${samplingFlags[0]}`);
    return GREEDY;
  }
  const topP = numberFlag('top-p', values['top-p'], defaults.topP ?? 1, 0, 1);
  if (topP === 0) throw new UsageError('--top-p must be above 0');
  return {
    ...GREEDY,
    doSample: samplingFlags.length > 0 || (defaults.doSample ?? false),
    temperature: numberFlag('temperature', values.temperature, defaults.temperature ?? 1, 0),
    topP,
    topK: intFlag('top-k', values['top-k'], defaults.topK ?? 0),
    repetitionPenalty: defaults.repetitionPenalty ?? 1,
    seed: values.seed === undefined ? undefined : intFlag('seed', values.seed, 0),
  };
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'print one completion (prompt + continuation), no server',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, options, { model: 'MODEL_DIR', provider: 'PROVIDER' });
    const modelDir = directoryFlag('model', values.model);
    const prompt = requireFlag('prompt', values.prompt);
    const provider = providerFlag(values.provider);
    const [config, tokenizer] = await Promise.all([readModelConfig(modelDir), loadTokenizer(modelDir)]);
    const maxNewTokens = intFlag(
      'max-new-tokens',
      values['max-new-tokens'],
      config.generationDefaults.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      1,
    );
    const sampling = samplingParams(values, config.generationDefaults);
    const promptIds = tokenizer.encode(prompt);
    const overflow = contextOverflow(
      promptIds.length,
      maxNewTokens,
      config.contextTokens,
      '--max-new-tokens',
    );
    if (overflow !== undefined) throw new UsageError(overflow);

    const worker = new WorkerHandle({
      modelDir,
      provider,
      deviceId: 0,
      intraOpThreads: 0,
      maxBatchSize: 1,
      prefillChunkTokens: 512,
    });
    worker.on('log', (event) => process.stderr.write(`llama-endpoint generate: ${event.message}\n`));
    try {
      await worker.ready;
      process.stdout.write(prompt);
      const done = await new Promise<SequenceResult>((resolve) => {
        worker.submit(
          { id: 'generate', promptIds, sampling, stopping: { maxNewTokens, stop: [], ignoreEos: false } },
          (event) => {
            if (event.type === 'token') process.stdout.write(event.text);
            else resolve(event);
          },
        );
      });
      process.stdout.write('\n');
      if (done.finishReason === 'error') throw new Error(done.error?.message ?? 'generation failed');
    } finally {
      await worker.terminate();
    }
    return 0;
  },
};
