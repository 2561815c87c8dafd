/**
 * The measuring half of scripts/gpu-check.sh (which prints the GPU and driver and bounds the time): random
 * float16 models of a preset's layer shapes (Llama-2-13b; `--small`: the bench preset) at 1 layer and at as
 * many layers as the creation budget allows (at most 8), decode steps at batch 1, 8 and 32 on each provider
 * that loads (cpu, webgpu, cuda; `--cpu-only`: cpu), then one JSON: step times, tokens/s extrapolated to the
 * preset's full depth, and the memory-bandwidth bound. Needs no network. Usage:
 * `node dist/scripts/gpu-check.js --out DIR [--cpu-only] [--small] [--layers N] [--budget-s S]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  type Bandwidth,
  extrapolate,
  GPU_CHECK_SCHEMA,
  type GpuCheckReport,
  gpuBandwidth,
  measureHostReadBandwidth,
  modelBytes,
  type ProviderStatus,
  type StepTiming,
  timeDecodeSteps,
} from '../src/bench/gpu-check.js';
import type { ExecutionProvider } from '../src/engine/execution-provider.js';
import { createRandomModel } from '../src/modelgen/create-random-model.js';
import { PRESETS, type PresetName } from '../src/modelgen/llama-config.js';

const BATCHES = [1, 8, 32];
const MAX_LAYERS = 8;
/** Share of the time budget spent writing models; the rest measures. */
const CREATE_SHARE = 0.35;

const log = (line: string) => process.stdout.write(`[gpu-check] ${line}\n`);

function gpuNames(): string[] {
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return smi.status === 0 ? smi.stdout.split('\n').filter((line) => line.trim() !== '') : [];
}

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'cpu-only': { type: 'boolean', default: false },
    small: { type: 'boolean', default: false },
    layers: { type: 'string' },
    'budget-s': { type: 'string', default: '450' },
  },
});
if (values.out === undefined) {
  process.stderr.write('gpu-check: --out DIR is required\n');
  process.exit(2);
}
const outDir = resolve(values.out);
const started = performance.now();
const budgetMs = Number(values['budget-s']) * 1000;
const elapsedMs = () => performance.now() - started;
const preset: PresetName = values.small ? 'bench' : 'llama-2-13b';
const fullLayers = PRESETS[preset].numLayers;
// The Optimum `present` graph: on WebGPU its KV cache stays on the device; cpu and cuda run it with the host cache.
const graph = { dtype: 'float16', kvOutputs: 'present', logits: 'last', fused: true } as const;
const steps = values.small ? 4 : 8;
const providers: ExecutionProvider[] = values['cpu-only'] ? ['cpu'] : ['cpu', 'webgpu', 'cuda'];

await mkdir(outDir, { recursive: true });
const startedAt = new Date().toISOString();

async function model(layers: number): Promise<{ dir: string; bytes: number; ms: number }> {
  const dir = join(outDir, `${preset}-${layers}-layers-float16`);
  const t0 = performance.now();
  if (!existsSync(join(dir, 'model.onnx'))) await createRandomModel({ preset, outDir: dir, layers, graph });
  const bytes = await modelBytes(dir);
  log(`${dir}: ${(bytes / 1e9).toFixed(2)} GB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { dir, bytes, ms: performance.now() - t0 };
}

const one = await model(1);
let layers = values.small ? 2 : MAX_LAYERS;
if (values.layers !== undefined) layers = Number(values.layers);
else if (!values.small) {
  // Per-layer bytes from the 1-layer model less the embedding and LM head (2 × vocab × hidden, float16).
  const { hiddenSize, vocabSize } = PRESETS[preset];
  const perLayerBytes = one.bytes - 2 * vocabSize * hiddenSize * 2;
  const bytesPerMs = one.bytes / Math.max(one.ms, 1);
  const affordable = Math.floor(((budgetMs * CREATE_SHARE - one.ms) * bytesPerMs) / perLayerBytes);
  layers = Math.max(2, Math.min(MAX_LAYERS, affordable));
}
const deep = await model(layers);
const bytesPerLayer = (deep.bytes - one.bytes) / (layers - 1);
const fullWeightBytes = one.bytes + bytesPerLayer * (fullLayers - 1);

const gpus = gpuNames();
const bandwidth: Record<string, Bandwidth> = { cpu: measureHostReadBandwidth() };
const gpuFigure = gpus[0] === undefined ? undefined : gpuBandwidth(gpus[0]);
if (gpuFigure) for (const provider of ['cuda', 'webgpu']) bandwidth[provider] = gpuFigure;

const statuses: ProviderStatus[] = [];
const timings: StepTiming[] = [];
for (const provider of providers) {
  if (elapsedMs() > budgetMs * 0.9) {
    statuses.push({ provider, loaded: false, error: 'skipped: out of time' });
    continue;
  }
  try {
    let deviceKvCache = false;
    for (const { dir } of [one, deep]) {
      const layerCount = dir === one.dir ? 1 : layers;
      const run = await timeDecodeSteps(dir, provider, BATCHES, steps, log);
      deviceKvCache = run.deviceKvCache;
      timings.push(...run.timings.map((timing) => ({ ...timing, layers: layerCount })));
    }
    statuses.push({ provider, loaded: true, deviceKvCache });
  } catch (err) {
    const message = (err as Error).message;
    log(`${provider}: ${message}`);
    statuses.push({ provider, loaded: false, error: message });
  }
}

const extrapolated = statuses
  .filter((status) => status.loaded)
  .flatMap(({ provider }) =>
    BATCHES.map((batch) => {
      const at = (layerCount: number) => ({
        layers: layerCount,
        ms: timings.find((t) => t.provider === provider && t.batch === batch && t.layers === layerCount)!
          .medianStepMs,
      });
      return extrapolate(
        provider,
        batch,
        [at(1), at(layers)],
        fullLayers,
        fullWeightBytes,
        bandwidth[provider],
      );
    }),
  );

const report: GpuCheckReport = {
  schema: GPU_CHECK_SCHEMA,
  startedAt,
  finishedAt: new Date().toISOString(),
  machine: { cpus: availableParallelism(), memoryBytes: totalmem(), gpus },
  model: {
    preset,
    dtype: 'float16',
    layerCounts: [1, layers],
    weightBytes: [one.bytes, deep.bytes],
    bytesPerLayer,
    fullLayers,
    fullWeightBytes,
  },
  bandwidth,
  providers: statuses,
  steps: timings,
  extrapolated,
};
const reportPath = join(outDir, 'gpu-check.json');
await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
for (const e of extrapolated) {
  const bound =
    e.bandwidthBoundTokensPerS === undefined
      ? ''
      : `, bandwidth bound ${e.bandwidthBoundTokensPerS.toFixed(1)}`;
  log(`${e.provider} batch ${e.batch}: ${e.tokensPerS.toFixed(1)} tokens/s at ${fullLayers} layers${bound}`);
}
log(`wrote ${reportPath} in ${(elapsedMs() / 1000).toFixed(0)} s`);
