import type { Command } from '../command.js';

// Placeholder until the owning module lands.
export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: '(not built yet)',
  usage: 'llama-endpoint tokenize',
  async run() {
    throw new Error('tokenize is not built yet');
  },
};
