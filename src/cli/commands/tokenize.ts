import { loadTokenizer } from '../../tokenizer/load.js';
import { type Command, directoryFlag, parseCommandArgs } from '../command.js';
import { UsageError } from '../usage-error.js';

const usage = `Usage: llama-endpoint tokenize --model DIR TEXT

Prints the token ids of TEXT (BOS first) as a JSON array, using the model directory's tokenizer.json
(or its SentencePiece tokenizer.model).

  --model DIR   model directory (env MODEL_DIR)`;

export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'print the token ids of a text (with BOS) as a JSON array',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { model: { type: 'string' } },
      { model: 'MODEL_DIR' },
      true,
    );
    const modelDir = directoryFlag('model', values.model);
    if (positionals.length !== 1) {
      throw new UsageError(`expected exactly one TEXT argument (quote it), got ${positionals.length}`);
    }
    const tokenizer = await loadTokenizer(modelDir);
    process.stdout.write(`${JSON.stringify(tokenizer.encode(positionals[0]!))}\n`);
    return 0;
  },
};
