/**
 * One provider's part of scripts/gpu-check.ts, in a process of its own (so a provider that crashes the process
 * or runs past the time left is ended alone): decode step times on each model given, one JSON line per model
 * on stdout as soon as it is measured.
 * Usage: `node dist/scripts/gpu-check-provider.js PROVIDER STEPS BATCHES MODEL_DIR...` (BATCHES: 1,8,32).
 */
import { timeDecodeSteps } from '../src/bench/gpu-check.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../src/engine/execution-provider.js';

const [provider, steps, batches, ...modelDirs] = process.argv.slice(2);
if (!EXECUTION_PROVIDERS.includes(provider as ExecutionProvider) || modelDirs.length === 0) {
  process.stderr.write('usage: gpu-check-provider.js cpu|cuda|webgpu STEPS BATCHES MODEL_DIR...\n');
  process.exit(2);
}
for (const modelDir of modelDirs) {
  const run = await timeDecodeSteps(
    modelDir,
    provider as ExecutionProvider,
    batches!.split(',').map(Number),
    Number(steps),
    (message) => process.stderr.write(`[gpu-check] ${message}\n`),
  );
  process.stdout.write(`${JSON.stringify(run)}\n`);
}
