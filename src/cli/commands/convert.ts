import type { Command } from '../command.js';

// Placeholder until the owning module lands.
export const convertCommand: Command = {
  name: 'convert',
  summary: '(not built yet)',
  usage: 'llama-endpoint convert',
  async run() {
    throw new Error('convert is not built yet');
  },
};
