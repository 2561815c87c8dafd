/** The aidreams260K fixture behind a real server, with llama2.c's greedy texts it must reproduce. */
import { readFileSync } from 'node:fs';
import { convertedAidreams } from './models.js';
import { fixture } from './paths.js';
import { startServer, type TestServer } from './server.js';

/** One case of fixtures/reference/aidreams260K-greedy.json (computed by llama2.c's run.c). */
export interface GreedyReference {
  prompt: string;
  /** The prompt's ids, BOS first. */
  prompt_ids: number[];
  max_new_tokens: number;
  generated_ids: number[];
  /** The prompt, then the greedy continuation. */
  full_text: string;
}

/** Every case of the reference. Call only when the fixtures are present (see fixturesMissing). */
export function aidreamsGreedyReference(): GreedyReference[] {
  return JSON.parse(
    readFileSync(fixture('reference', 'aidreams260K-greedy.json'), 'utf8'),
  ) as GreedyReference[];
}

export interface ServedAidreams {
  server: TestServer;
  references: GreedyReference[];
}

/** Call only when the fixtures are present (see fixturesMissing). */
export async function servedAidreams(): Promise<ServedAidreams> {
  return {
    server: await startServer({ modelDir: await convertedAidreams() }),
    references: aidreamsGreedyReference(),
  };
}
