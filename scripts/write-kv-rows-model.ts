/** Rewrites src/engine/kv-rows-model.ts from the graph builder. Usage: `node dist/scripts/write-kv-rows-model.js`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kvRowsModule } from '../src/modelgen/kv-rows-graph.js';

const target = fileURLToPath(new URL('../../src/engine/kv-rows-model.ts', import.meta.url));
writeFileSync(target, kvRowsModule());
process.stdout.write(`wrote ${target}\n`);
