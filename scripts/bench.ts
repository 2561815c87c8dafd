/**
 * `npm run bench`: the committed benchmark. (a) the bare ONNX Runtime decode ceiling on the `bench` preset
 * (and, for reference, the same loop at batch 16), (b) the server's single-stream rate, (c) its aggregate rate
 * with 16 concurrent clients, (b) and (c) on both /score and the streaming /v1/completions, in interleaved
 * rounds; prints each round's ratios b/a and c/b and their medians and rewrites BENCHMARKS.md (keeping the sections
 * other scripts own). Usage: `node dist/scripts/bench.js [--out FILE]`; with `--preset llama-2-13b-int4|llama-2-7b-int4`
 * or `--model DIR` it runs the short large-model benchmark instead (scripts/bench-large-model.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { arch, availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { env as ortEnv } from 'onnxruntime-node';
import {
  type BenchmarkRun,
  type BenchRound,
  medianFigures,
  ROUTES,
  ratioSpread,
  renderBenchmarksMarkdown,
  roundRatios,
  type StepShape,
  type StepTimeRow,
  TARGETS,
} from '../src/bench/benchmarks-markdown.js';
import { DecodeLoop, type DecodeRepetition, measureDecodeCeiling } from '../src/bench/decode-ceiling.js';
import { type BenchRoute, ROUTE_PATHS } from '../src/bench/generation-request.js';
import { LoadTarget, type Phase, summarizePhases } from '../src/bench/load-generator.js';
import { keepSections } from '../src/bench/markdown-sections.js';
import { median } from '../src/bench/percentiles.js';
import { formatReport } from '../src/bench/report.js';
import { sampleResidentMemory } from '../src/bench/resident-memory.js';
import { startServer } from '../src/bench/spawned-server.js';
import { createRandomModel } from '../src/modelgen/create-random-model.js';
import { type LlamaGraphOptions, SERVING_GRAPH } from '../src/modelgen/llama-graph.js';
import { LARGE_PRESETS, type LargePreset, runLargeModelBench } from './bench-large-model.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODEL_DIR = join(REPO_ROOT, 'models', 'bench');
const PRESET = 'bench';

/** The workload the acceptance criteria name: 32-token prompts, 64 new tokens, 16 concurrent clients. */
const PROMPT_TOKENS = 32;
const NEW_TOKENS = 64;
const CONCURRENCY = 16;
/** Interleaved rounds; each takes every figure once. */
const ROUNDS = 7;
/** Requests per round and route: (b) one after another, (c) three per client. */
const PER_ROUND = { single: 6, concurrent: 3 * CONCURRENCY };
/** Repetitions of (a) per round: about as long as a round's (b), so both see the same stretch of machine speed. */
const CEILING_PER_ROUND = 4;
const WARMUP = { single: 2, concurrent: CONCURRENCY };

/**
 * Decode step time of the Optimum export's graph with the host KV cache (the graph returns the whole cache every
 * step) and of the served graph with the in-place slot cache (new K/V only), with plain and fused ops: the bare
 * loop of (a) at each shape, in the same run. Long contexts show what returning the whole cache costs.
 */
const VARIANTS: { label: string; dir: string; graph: LlamaGraphOptions }[] = [
  {
    label: 'Optimum graph (returns present), host KV cache',
    dir: join(REPO_ROOT, 'models', 'bench-optimum'),
    graph: { kvOutputs: 'present', logits: 'all' },
  },
  {
    label: 'new K/V only, in-place slot KV cache, plain ops',
    dir: join(REPO_ROOT, 'models', 'bench-plain-ops'),
    graph: { ...SERVING_GRAPH, fused: false },
  },
  { label: 'served: new K/V only, slot KV cache, fused ops', dir: MODEL_DIR, graph: SERVING_GRAPH },
];
const STEP_SHAPES: StepShape[] = [
  { batch: 1, promptTokens: PROMPT_TOKENS, decodeSteps: NEW_TOKENS },
  { batch: CONCURRENCY, promptTokens: PROMPT_TOKENS, decodeSteps: NEW_TOKENS },
  { batch: CONCURRENCY, promptTokens: 480, decodeSteps: 32 },
];
const STEP_ROUNDS = 5;
/** How often the server's resident memory is read during (c). */
const RSS_INTERVAL_MS = 250;

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The share of CPU time spent on anything but idle across all cores over `ms`: is someone else running? */
async function cpuBusy(ms: number): Promise<number> {
  const totals = () =>
    cpus().reduce(
      (sum, cpu) => {
        const { idle, user, nice, sys, irq } = cpu.times;
        return { idle: sum.idle + idle, all: sum.all + idle + user + nice + sys + irq };
      },
      { idle: 0, all: 0 },
    );
  const before = totals();
  await delay(ms);
  const after = totals();
  const all = after.all - before.all;
  return all > 0 ? 1 - (after.idle - before.idle) / all : 0;
}

/** Written beside its place and renamed, so an interrupted run leaves no half model that looks whole. */
async function ensureModel(dir: string, graph: LlamaGraphOptions): Promise<void> {
  if (existsSync(join(dir, 'model.onnx'))) return;
  log(`creating the ${PRESET} model in ${relative(REPO_ROOT, dir)} …`);
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await createRandomModel({ preset: PRESET, outDir: partial, graph });
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
}

/**
 * ms per decode step of every variant at every shape: rounds that take each variant and shape in turn (one
 * timed repetition each), then the median of the rounds, so a machine that changes speed mid-run weighs on
 * every variant alike.
 */
async function measureStepTimes(intraOpThreads: number): Promise<StepTimeRow[]> {
  for (const variant of VARIANTS) await ensureModel(variant.dir, variant.graph);
  const samples = VARIANTS.map(() => STEP_SHAPES.map((): number[] => []));
  for (let round = 0; round < STEP_ROUNDS; round++) {
    for (const [v, variant] of VARIANTS.entries()) {
      for (const [s, shape] of STEP_SHAPES.entries()) {
        const ceiling = await measureDecodeCeiling({
          modelDir: variant.dir,
          intraOpThreads,
          ...shape,
          repetitions: 1,
        });
        samples[v]![s]!.push((shape.batch * 1000) / ceiling.tokensPerS);
      }
    }
  }
  return VARIANTS.map((variant, v) => {
    const msPerStep = samples[v]!.map(median);
    log(`  ${variant.label}: ${msPerStep.map((ms) => ms.toFixed(1)).join(' / ')} ms per step`);
    return { variant: variant.label, msPerStep };
  });
}

async function modelShape(): Promise<Record<string, unknown>> {
  const config = JSON.parse(await readFile(join(MODEL_DIR, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const keys = [
    'hidden_size',
    'num_hidden_layers',
    'num_attention_heads',
    'num_key_value_heads',
    'intermediate_size',
    'vocab_size',
    'torch_dtype',
  ];
  return Object.fromEntries(keys.filter((key) => key in config).map((key) => [key, config[key]]));
}

function modelSizeMiB(): number {
  const files = ['model.onnx', 'model.onnx.data', 'model.onnx_data'].map((name) => join(MODEL_DIR, name));
  return (
    files.filter((file) => existsSync(file)).reduce((sum, file) => sum + statSync(file).size, 0) / 2 ** 20
  );
}

/** A phase's generated tokens/s; a phase where every request failed ends the benchmark. */
function phaseRate(target: LoadTarget, concurrency: number, phase: Phase, label: string): number {
  const result = summarizePhases(target, concurrency, [phase]);
  if (result.requests.ok === 0) throw new Error(`${label}: every request failed`);
  return result.generatedTokensPerS;
}

/** `repetitions` repetitions as one: all their decode steps over all their decode time. */
async function ceilingRate(loop: DecodeLoop, batch: number, repetitions: number): Promise<DecodeRepetition> {
  let seconds = 0;
  let prefillMs = 0;
  for (let i = 0; i < repetitions; i++) {
    const repetition = await loop.repetition(batch);
    seconds += 1 / repetition.tokensPerS;
    prefillMs += repetition.prefillMs / repetitions;
  }
  return { tokensPerS: repetitions / seconds, prefillMs };
}

interface RoundsResult {
  rounds: BenchRound[];
  phases: Record<BenchRoute, { single: Phase[]; concurrent: Phase[] }>;
  targets: Record<BenchRoute, LoadTarget>;
  prefillMs: number[];
  promptTokens: number;
}

/**
 * Warm-up, then ROUNDS rounds of: (c) /score, (b) /score, (a), (b) stream, (c) stream, the batch-16 reference.
 * (a) sits between the two (b)s and each (b) beside its (c), so the ratios of one round share its machine speed.
 */
async function measureRounds(url: URL, intraOpThreads: number, loop: DecodeLoop): Promise<RoundsResult> {
  const targets = {} as Record<BenchRoute, LoadTarget>;
  for (const route of ROUTES) {
    targets[route] = await LoadTarget.open({
      url,
      route,
      connections: CONCURRENCY,
      promptTokens: PROMPT_TOKENS,
      maxNewTokens: NEW_TOKENS,
      timeoutS: 300,
    });
  }
  log(`warm-up: ${intraOpThreads}-thread bare session at batch 1 and ${CONCURRENCY}, then both routes …`);
  await loop.repetition(1);
  await loop.repetition(CONCURRENCY);
  for (const route of ROUTES) {
    await targets[route].phase(1, WARMUP.single);
    await targets[route].phase(CONCURRENCY, WARMUP.concurrent);
  }
  const phases = {
    score: { single: [] as Phase[], concurrent: [] as Phase[] },
    completions: { single: [] as Phase[], concurrent: [] as Phase[] },
  };
  const server = async (route: BenchRoute, kind: 'single' | 'concurrent') => {
    const concurrency = kind === 'single' ? 1 : CONCURRENCY;
    const phase = await targets[route].phase(concurrency, PER_ROUND[kind]);
    phases[route][kind].push(phase);
    return phaseRate(targets[route], concurrency, phase, `(${kind === 'single' ? 'b' : 'c'}) ${route}`);
  };
  const rounds: BenchRound[] = [];
  const prefillMs: number[] = [];
  for (let index = 0; index < ROUNDS; index++) {
    const cScore = await server('score', 'concurrent');
    const bScore = await server('score', 'single');
    const a = await ceilingRate(loop, 1, CEILING_PER_ROUND);
    const bStream = await server('completions', 'single');
    const cStream = await server('completions', 'concurrent');
    const reference = await ceilingRate(loop, CONCURRENCY, 1);
    prefillMs.push(a.prefillMs);
    const round: BenchRound = {
      ceiling: a.tokensPerS,
      batchedCeiling: reference.tokensPerS,
      single: { score: bScore, completions: bStream },
      concurrent: { score: cScore, completions: cStream },
    };
    rounds.push(round);
    const ratioText = ROUTES.map((route) => {
      const r = roundRatios(round, route);
      return `${route} b/a ${r.singleOverCeiling.toFixed(3)} c/b ${r.concurrentOverSingle.toFixed(2)}`;
    }).join(', ');
    log(
      `round ${index + 1}/${ROUNDS}: a ${a.tokensPerS.toFixed(1)}, /score b ${bScore.toFixed(1)} c ${cScore.toFixed(1)}, ` +
        `stream b ${bStream.toFixed(1)} c ${cStream.toFixed(1)}, batch ${CONCURRENCY} ${reference.tokensPerS.toFixed(1)} tokens/s; ${ratioText}`,
    );
  }
  return { rounds, phases, targets, prefillMs, promptTokens: loop.promptTokens };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, preset: { type: 'string' }, model: { type: 'string' } },
  });
  const outFile = values.out ?? join(REPO_ROOT, 'BENCHMARKS.md');
  if (values.preset !== undefined || values.model !== undefined) {
    const preset = values.preset;
    if (preset !== undefined && !Object.hasOwn(LARGE_PRESETS, preset)) {
      throw new Error(`--preset must be one of ${Object.keys(LARGE_PRESETS).join(', ')}, got '${preset}'`);
    }
    await runLargeModelBench({
      repoRoot: REPO_ROOT,
      outFile,
      preset: preset as LargePreset | undefined,
      modelDir: values.model,
    });
    return;
  }
  const cores = availableParallelism();
  const busyBeforeRun = await cpuBusy(2000);
  if (busyBeforeRun > 0.1)
    log(`note: the CPUs were ${(busyBeforeRun * 100).toFixed(0)}% busy before the run`);
  // One worker using every core: the server's own default for one worker, and what (a) gets too.
  const server = { workers: 1, intraOpThreads: Math.max(1, cores), maxBatchSize: CONCURRENCY };

  await ensureModel(MODEL_DIR, SERVING_GRAPH);
  log('starting the server …');
  const spawned = await startServer([
    '--model',
    MODEL_DIR,
    '--workers',
    String(server.workers),
    '--intra-op-threads',
    String(server.intraOpThreads),
    '--max-batch-size',
    String(server.maxBatchSize),
  ]);
  let measured: RoundsResult | undefined;
  let routes: BenchmarkRun['routes'];
  let serverRssMiB: number[] = [];
  try {
    const loop = await DecodeLoop.open({
      modelDir: MODEL_DIR,
      intraOpThreads: server.intraOpThreads,
      promptTokens: PROMPT_TOKENS,
      decodeSteps: NEW_TOKENS,
      batches: [1, CONCURRENCY],
    });
    const rss = spawned.pid === undefined ? undefined : sampleResidentMemory(spawned.pid, RSS_INTERVAL_MS);
    try {
      measured = await measureRounds(spawned.url, server.intraOpThreads, loop);
      const { targets, phases } = measured;
      const merged = (route: BenchRoute) => ({
        single: summarizePhases(targets[route], 1, phases[route].single),
        concurrent: summarizePhases(targets[route], CONCURRENCY, phases[route].concurrent),
      });
      routes = { score: merged('score'), completions: merged('completions') };
    } finally {
      serverRssMiB = rss?.stop() ?? [];
      await loop.close();
      if (measured) for (const route of ROUTES) await measured.targets[route].close();
    }
  } finally {
    const code = await spawned.stop(10_000);
    if (code === null) log('note: the server did not exit within 10 s of SIGTERM and was killed');
    else if (code !== 0) log(`note: the server exited with code ${code} on SIGTERM`);
  }
  for (const route of ROUTES) {
    for (const kind of ['single', 'concurrent'] as const) {
      log(`\n${kind === 'single' ? '(b)' : '(c)'} every round together`);
      log(formatReport(routes[route][kind]));
    }
  }

  log(
    `\ndecode step time by graph and KV cache (${STEP_SHAPES.map((s) => `batch ${s.batch}, context ${s.promptTokens} → ${s.promptTokens + s.decodeSteps}`).join(' / ')}) …`,
  );
  const stepTimes = await measureStepTimes(server.intraOpThreads);

  const run: BenchmarkRun = {
    date: new Date().toISOString(),
    command: 'npm run build && npm run bench',
    machine: {
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      cores,
      busyBeforeRun,
      memoryGiB: totalmem() / 2 ** 30,
      os: `${type()} ${release()} ${arch()}`,
      node: process.version,
      onnxruntime: ortEnv.versions.node ?? ortEnv.versions.common,
    },
    model: {
      dir: relative(REPO_ROOT, MODEL_DIR),
      preset: PRESET,
      shape: await modelShape(),
      sizeMiB: modelSizeMiB(),
    },
    server,
    concurrency: CONCURRENCY,
    decodeSteps: NEW_TOKENS,
    prompt: { tokens: measured.promptTokens, prefillMs: median(measured.prefillMs) },
    perRound: { ...PER_ROUND, ceiling: CEILING_PER_ROUND },
    warmupRequests: WARMUP,
    rounds: measured.rounds,
    routes,
    stepShapes: STEP_SHAPES,
    stepRounds: STEP_ROUNDS,
    stepTimes,
    serverRssMiB,
  };
  const figures = medianFigures(run.rounds);
  log('');
  log(
    `medians of ${ROUNDS} rounds (tokens/s): (a) ${figures.ceiling.toFixed(1)}, batch ${CONCURRENCY} ${figures.batchedCeiling.toFixed(1)}`,
  );
  for (const route of ROUTES) {
    const spread = ratioSpread(run.rounds, route);
    const text = (s: { median: number; min: number; max: number }, digits: number) =>
      `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
    log(
      `${ROUTE_PATHS[route].padEnd(16)} (b) ${figures.single[route].toFixed(1)}, (c) ${figures.concurrent[route].toFixed(1)}; ` +
        `per-round b/a ${text(spread.singleOverCeiling, 3)} (target ≥ ${TARGETS.singleOverCeiling}), ` +
        `c/b ${text(spread.concurrentOverSingle, 2)} (target ≥ ${TARGETS.concurrentOverSingle})`,
    );
  }
  log(`machine: ${run.machine.cpuModel}, ${cores} cores`);
  // The sections other scripts own (int4 quality, large models) stay.
  const previous = existsSync(outFile) ? await readFile(outFile, 'utf8') : '';
  await writeFile(outFile, keepSections(renderBenchmarksMarkdown(run), previous));
  log(`wrote ${relative(process.cwd(), outFile) || outFile}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
