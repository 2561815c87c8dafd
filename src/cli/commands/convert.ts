import { convertLlama2c } from '../../modelgen/convert-llama2c.js';
import { type Command, parseCommandArgs, requireFlag } from '../command.js';
import { existingFile, GRAPH_FLAGS, GRAPH_USAGE, graphOptions } from '../graph-flags.js';
import { UsageError } from '../usage-error.js';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert a llama2.c checkpoint and tokenizer into an ONNX model directory',
  usage: `llama-endpoint convert llama2c --checkpoint FILE --tokenizer FILE --out DIR ${GRAPH_USAGE}`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        checkpoint: { type: 'string' },
        tokenizer: { type: 'string' },
        out: { type: 'string' },
        ...GRAPH_FLAGS,
      },
      {},
      true,
    );
    if (positionals.length !== 1 || positionals[0] !== 'llama2c') {
      throw new UsageError(`expected the source format 'llama2c', got '${positionals.join(' ')}'`);
    }
    const graph = graphOptions(values);
    const checkpoint = existingFile('checkpoint', requireFlag('checkpoint', values.checkpoint));
    const tokenizer = existingFile('tokenizer', requireFlag('tokenizer', values.tokenizer));
    const outDir = requireFlag('out', values.out);
    const written = await convertLlama2c({ checkpoint, tokenizer, outDir, graph });
    const c = written.config;
    process.stdout.write(
      `wrote ${outDir}: ${c.numLayers} layers, hidden ${c.hiddenSize}, vocab ${c.vocabSize}, ${graph.dtype}\n`,
    );
    return 0;
  },
};
