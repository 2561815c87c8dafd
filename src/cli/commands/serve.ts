import type { Command } from '../command.js';

// Placeholder until the owning module lands.
export const serveCommand: Command = {
  name: 'serve',
  summary: '(not built yet)',
  usage: 'llama-endpoint serve',
  async run() {
    throw new Error('serve is not built yet');
  },
};
