#!/usr/bin/env node
import { ModelInputError } from '../modelgen/model-input-error.js';
import type { Command } from './command.js';
import { packageVersion } from './package-version.js';
import { UsageError } from './usage-error.js';

/** Each command lives in its own module, loaded only when asked for, so `--help` stays instant. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  generate: async () => (await import('./commands/generate.js')).generateCommand,
  convert: async () => (await import('./commands/convert.js')).convertCommand,
  quantize: async () => (await import('./commands/quantize.js')).quantizeCommand,
  'create-random': async () => (await import('./commands/create-random.js')).createRandomCommand,
  tokenize: async () => (await import('./commands/tokenize.js')).tokenizeCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
};

async function help(): Promise<string> {
  const lines = ['Usage: llama-endpoint <command> [options]', '', 'Commands:'];
  for (const load of Object.values(COMMANDS)) {
    const command = await load();
    lines.push(`  ${command.name.padEnd(14)} ${command.summary}`);
  }
  lines.push(
    '',
    "Run 'llama-endpoint <command> --help' for a command's options; 'llama-endpoint --version' for the version.",
  );
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${await help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`llama-endpoint: unknown command '${name}' (try --help)\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // A checkpoint or output directory the user must fix is a usage error too.
    if (err instanceof UsageError || err instanceof ModelInputError) {
      process.stderr.write(`llama-endpoint ${name}: ${err.message}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`llama-endpoint ${name}: ${message}\n`);
    if (process.env.DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
