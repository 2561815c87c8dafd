/** The aidreams260K fixture behind a real server, with llama2.c's greedy texts it must reproduce. */
import { readFileSync } from 'node:fs';
import { convertedAidreams } from './models.js';
import { fixture } from './paths.js';
import { startServer, type TestServer } from './server.js';

/** One case of fixtures/reference/aidreams260K-greedy.json (computed by llama2.c's run.c). */
export interface GreedyReference {
  prompt: string;
  max_new_tokens: number;
  /** The prompt, then the greedy continuation. */
  full_text: string;
}

export interface ServedAidreams {
  server: TestServer;
  references: GreedyReference[];
}

/** Call only when the fixtures are present (see fixturesMissing). */
export async function servedAidreams(): Promise<ServedAidreams> {
  const references = JSON.parse(
    readFileSync(fixture('reference', 'aidreams260K-greedy.json'), 'utf8'),
  ) as GreedyReference[];
  return { server: await startServer({ modelDir: await convertedAidreams() }), references };
}
