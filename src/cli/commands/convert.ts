import { convertHf } from '../../modelgen/convert-hf.js';
import { convertLlama2c } from '../../modelgen/convert-llama2c.js';
import type { ModelDirectory, ModelWriteOptions } from '../../modelgen/model-directory.js';
import { type Command, directoryFlag, parseCommandArgs, requireFlag } from '../command.js';
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

const USAGE = `Usage:
  llama-endpoint convert hf --in DIR --out DIR [options]
  llama-endpoint convert llama2c --checkpoint FILE --tokenizer FILE --out DIR [options]

Converts a checkpoint into a model directory that 'serve' runs: model.onnx (+ model.onnx.data),
config.json, generation_config.json and the tokenizer files. The directory is written beside --out and
renamed into place when complete, so an interrupted run leaves no model behind. Progress goes to stderr.

Sources:
  hf                        a Hugging Face Llama checkpoint directory (LlamaForCausalLM): config.json,
                            model.safetensors or model-0000N-of-0000M.safetensors shards with
                            model.safetensors.index.json (F32, F16 or BF16 tensors), tokenizer.json and/or
                            tokenizer.model, optional generation_config.json (copied as it is)
  llama2c                   a llama2.c checkpoint (legacy version 0) and its tokenizer.bin

Options:
  --in DIR                  (hf) the checkpoint directory
  --checkpoint FILE         (llama2c) the checkpoint file
  --tokenizer FILE          (llama2c) its tokenizer.bin, or a SentencePiece tokenizer.model
  --out DIR                 the model directory to write: must not exist, or be empty
${GRAPH_HELP}
${QUANTIZE_HELP}
  -h, --help                this text

Exit codes: 0 written; 2 bad arguments or an unusable checkpoint (one line naming the problem); 1 other.`;

const SOURCES = ['hf', 'llama2c'] as const;

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert a Hugging Face (safetensors) or llama2.c checkpoint into an ONNX model directory',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        in: { type: 'string' },
        checkpoint: { type: 'string' },
        tokenizer: { type: 'string' },
        out: { type: 'string' },
        'external-data': { type: 'boolean' },
        ...GRAPH_FLAGS,
        ...QUANTIZE_FLAGS,
      },
      {},
      true,
    );
    const source = positionals[0];
    if (positionals.length !== 1 || !(SOURCES as readonly string[]).includes(source!)) {
      throw new UsageError(
        `expected the source format ${SOURCES.map((f) => `'${f}'`).join(' or ')} (convert hf --in DIR --out DIR), ` +
          `got '${positionals.join(' ')}'`,
      );
    }
    const flagsOf = (format: string, names: string[]) => {
      for (const name of names) {
        if (values[name as keyof typeof values] !== undefined) {
          throw new UsageError(`--${name} is not an option of 'convert ${format}'`);
        }
      }
    };
    const graph = { ...graphOptions(values), int4: quantizeOption(values) };
    // Everything about how the model is written; --quantize belongs here.
    const write: ModelWriteOptions = {
      outDir: requireFlag('out', values.out),
      graph,
      externalData: values['external-data'] || undefined,
    };
    let written: ModelDirectory;
    if (source === 'hf') {
      flagsOf('hf', ['checkpoint', 'tokenizer']);
      const inDir = directoryFlag('in', values.in);
      written = await withProgress('convert', (onProgress) => convertHf({ ...write, inDir, onProgress }));
    } else {
      flagsOf('llama2c', ['in']);
      const checkpoint = existingFile('checkpoint', requireFlag('checkpoint', values.checkpoint));
      const tokenizer = existingFile('tokenizer', requireFlag('tokenizer', values.tokenizer));
      written = await withProgress('convert', (onProgress) =>
        convertLlama2c({ ...write, checkpoint, tokenizer, onProgress }),
      );
    }
    const c = written.config;
    process.stdout.write(
      `wrote ${written.dir}: ${c.numLayers} layers, hidden ${c.hiddenSize}, vocab ${c.vocabSize}, ` +
        `${graph.int4 ? `int4 and ${graph.dtype}` : graph.dtype}${written.externalData ? ', weights in model.onnx.data' : ''}\n`,
    );
    return 0;
  },
};
