import { createRandomModel, DEFAULT_SEED } from '../../modelgen/create-random-model.js';
import { isPresetName, PRESETS } from '../../modelgen/llama-config.js';
import { type Command, intFlag, parseCommandArgs, requireFlag } from '../command.js';
import {
  existingFile,
  GRAPH_FLAGS,
  GRAPH_HELP,
  graphOptions,
  QUANTIZE_FLAGS,
  QUANTIZE_HELP,
  quantizeOption,
} from '../graph-flags.js';
import { withProgress } from '../progress.js';
import { UsageError } from '../usage-error.js';

const PRESET_NAMES = Object.keys(PRESETS).join('|');

const USAGE = `Usage: llama-endpoint create-random --preset ${PRESET_NAMES} --out DIR [options]

Writes a seeded random-weight Llama model directory (model.onnx, config.json, generation_config.json, the
tokenizer files): for tests, benchmarks and memory planning, not for text. Weights are generated and
written one tensor at a time, so a model far larger than memory can be written. The directory is written
beside --out and renamed into place when complete. Progress goes to stderr.

Options:
  --preset NAME             the shape: tiny (the demo model), bench (~59M parameters), llama-2-7b,
                            llama-2-13b (Llama-2's own hidden sizes, heads, layers and 4096 context)
  --out DIR                 the model directory to write: must not exist, or be empty
  --layers N                a different layer count than the preset's (e.g. 1 for a 13B-shaped layer)
  --seed N                  the weights' seed, 0..2^32-1 (default ${DEFAULT_SEED}); same seed, same weights
  --tokenizer FILE          a SentencePiece tokenizer.model or llama2.c tokenizer.bin; sets vocab_size
                            (default: the real Llama-2 tokenizer, 32000 tokens)
${GRAPH_HELP}
${QUANTIZE_HELP}
  -h, --help                this text`;

export const createRandomCommand: Command = {
  name: 'create-random',
  summary: 'write a seeded random-weight Llama model directory (real Llama-2 tokenizer by default)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      preset: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      tokenizer: { type: 'string' },
      layers: { type: 'string' },
      'external-data': { type: 'boolean' },
      ...GRAPH_FLAGS,
      ...QUANTIZE_FLAGS,
    });
    const preset = requireFlag('preset', values.preset);
    if (!isPresetName(preset))
      throw new UsageError(`--preset must be one of ${PRESET_NAMES}, got '${preset}'`);
    const graph = { ...graphOptions(values), int4: quantizeOption(values) };
    const outDir = requireFlag('out', values.out);
    const options = {
      preset,
      outDir,
      graph,
      seed: intFlag('seed', values.seed, DEFAULT_SEED, 0, 2 ** 32 - 1),
      layers: values.layers === undefined ? undefined : intFlag('layers', values.layers, 1, 1, 1000),
      tokenizer: values.tokenizer === undefined ? undefined : existingFile('tokenizer', values.tokenizer),
      externalData: values['external-data'] || undefined,
    };
    const written = await withProgress('create-random', (onProgress) =>
      createRandomModel({ ...options, onProgress }),
    );
    const c = written.config;
    const gb = (written.weightBytes / 1e9).toFixed(2);
    process.stdout.write(
      `wrote ${outDir}: ${preset}, ${c.numLayers} layers, ${gb} GB of ${graph.int4 ? `int4 and ${graph.dtype}` : graph.dtype} weights` +
        `${written.externalData ? ' in model.onnx.data' : ''}\n`,
    );
    return 0;
  },
};
