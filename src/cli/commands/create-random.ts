import { createRandomModel, DEFAULT_SEED } from '../../modelgen/create-random-model.js';
import { isPresetName, PRESETS } from '../../modelgen/llama-config.js';
import { type Command, intFlag, parseCommandArgs, requireFlag } from '../command.js';
import { existingFile, GRAPH_FLAGS, GRAPH_USAGE, graphOptions } from '../graph-flags.js';
import { UsageError } from '../usage-error.js';

const PRESET_NAMES = Object.keys(PRESETS).join('|');

export const createRandomCommand: Command = {
  name: 'create-random',
  summary: 'write a seeded random-weight Llama model directory (real Llama-2 tokenizer by default)',
  usage:
    `llama-endpoint create-random --preset ${PRESET_NAMES} --out DIR ${GRAPH_USAGE} [--seed N] ` +
    '[--tokenizer tokenizer.model|tokenizer.bin] [--layers N] [--external-data]',
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      preset: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      tokenizer: { type: 'string' },
      layers: { type: 'string' },
      'external-data': { type: 'boolean' },
      ...GRAPH_FLAGS,
    });
    const preset = requireFlag('preset', values.preset);
    if (!isPresetName(preset))
      throw new UsageError(`--preset must be one of ${PRESET_NAMES}, got '${preset}'`);
    const graph = graphOptions(values);
    const outDir = requireFlag('out', values.out);
    const written = await createRandomModel({
      preset,
      outDir,
      graph,
      seed: intFlag('seed', values.seed, DEFAULT_SEED, 0, 2 ** 32 - 1),
      layers: values.layers === undefined ? undefined : intFlag('layers', values.layers, 1, 1, 1000),
      tokenizer: values.tokenizer === undefined ? undefined : existingFile('tokenizer', values.tokenizer),
      externalData: values['external-data'] || undefined,
    });
    const c = written.config;
    const gb = (written.weightBytes / 1e9).toFixed(2);
    process.stdout.write(
      `wrote ${outDir}: ${preset}, ${c.numLayers} layers, ${gb} GB of ${graph.dtype} weights` +
        `${written.externalData ? ' in model.onnx.data' : ''}\n`,
    );
    return 0;
  },
};
