import type { Command } from '../command.js';

// Placeholder until the owning module lands.
export const generateCommand: Command = {
  name: 'generate',
  summary: '(not built yet)',
  usage: 'llama-endpoint generate',
  async run() {
    throw new Error('generate is not built yet');
  },
};
