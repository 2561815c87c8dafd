import type { Command } from '../command.js';

// Placeholder until the owning module lands.
export const createRandomCommand: Command = {
  name: 'create-random',
  summary: '(not built yet)',
  usage: 'llama-endpoint create-random',
  async run() {
    throw new Error('create-random is not built yet');
  },
};
