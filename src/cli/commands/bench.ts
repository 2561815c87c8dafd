import type { Command } from '../command.js';

// Placeholder until the owning module lands.
export const benchCommand: Command = {
  name: 'bench',
  summary: '(not built yet)',
  usage: 'llama-endpoint bench',
  async run() {
    throw new Error('bench is not built yet');
  },
};
