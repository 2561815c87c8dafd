import { resolve } from 'node:path';
import { QuantizeInputError, quantizeModelDirectory } from '../../modelgen/int4/quantize-model.js';
import { type Command, directoryFlag, parseCommandArgs, requireFlag } from '../command.js';
import { INT4_FLAGS, INT4_USAGE, int4Options } from '../graph-flags.js';
import { UsageError } from '../usage-error.js';

export const quantizeCommand: Command = {
  name: 'quantize',
  summary:
    'rewrite a model directory written by convert or create-random with int4 (MatMulNBits) linear layers',
  usage:
    `llama-endpoint quantize --in DIR --out DIR ${INT4_USAGE}\n` +
    '  Every linear layer (attention, MLP, lm_head) becomes com.microsoft MatMulNBits: 4-bit weights in blocks of\n' +
    '  --block-size values along the input (default 32) with a float scale each, symmetric unless --zero-points.\n' +
    '  --accuracy-level 4 (default) lets ONNX Runtime compute in int8 (about 2x faster on CPU); 0 computes in float.\n' +
    '  The weights are read and written one tensor at a time.',
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      in: { type: 'string' },
      out: { type: 'string' },
      ...INT4_FLAGS,
    });
    const inDir = directoryFlag('in', values.in);
    const outDir = requireFlag('out', values.out);
    if (resolve(inDir) === resolve(outDir)) throw new UsageError('--out must differ from --in');
    const int4 = int4Options(values);
    let written: Awaited<ReturnType<typeof quantizeModelDirectory>>;
    try {
      written = await quantizeModelDirectory({ inDir, outDir, int4 });
    } catch (err) {
      if (err instanceof QuantizeInputError) throw new UsageError(err.message);
      throw err;
    }
    const gb = (written.weightBytes / 1e9).toFixed(2);
    process.stdout.write(
      `wrote ${outDir}: ${written.config.numLayers} layers, ${gb} GB of int4 and ${written.graph.dtype} weights ` +
        `(block ${int4.blockSize}, accuracy level ${int4.accuracyLevel}, ${int4.symmetric ? 'symmetric' : 'zero points'})` +
        `${written.externalData ? ' in model.onnx.data' : ''}\n`,
    );
    return 0;
  },
};
