import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BenchmarkRun,
  type BenchRound,
  medianFigures,
  ratioSpread,
  renderBenchmarksMarkdown,
  roundRatios,
} from '../src/bench/benchmarks-markdown.js';
import type { BenchRoute } from '../src/bench/generation-request.js';
import type { BenchResult } from '../src/bench/load-generator.js';

const result = (route: BenchRoute, concurrency: number, tokensPerS: number, sent: number): BenchResult => ({
  url: 'http://127.0.0.1:40000/',
  route,
  concurrency,
  maxNewTokens: 64,
  prompt: { tokens: 32, checkedBy: 'tokenize' },
  requests: { sent, ok: sent, failed: 0 },
  errors: {},
  elapsedS: (sent * 64) / tokensPerS,
  generatedTokens: sent * 64,
  tokensCountedFrom: 'usage',
  generatedTokensPerS: tokensPerS,
  latencyMs: { count: sent, mean: 700, p50: 690, p90: 750, p99: 800 },
  ttftMs: { count: sent, mean: 20, p50: 19, p90: 25, p99: 30 },
  interTokenMs: { count: sent * 63, mean: 10.5, p50: 10.4, p90: 11, p99: 14 },
  timingsFrom: 'stream',
  meanBatchSize: concurrency === 1 ? 1 : 14.6,
});

const round = (ceiling: number, single: number, concurrent: number): BenchRound => ({
  ceiling,
  batchedCeiling: 8 * ceiling,
  single: { score: single, completions: single - 2 },
  concurrent: { score: concurrent, completions: concurrent - 20 },
});

const RUN: BenchmarkRun = {
  date: '2026-11-26T18:00:00.000Z',
  command: 'npm run build && npm run bench',
  machine: {
    cpuModel: 'AMD EPYC',
    cores: 2,
    busyBeforeRun: 0.02,
    memoryGiB: 8,
    os: 'Linux 6.1 x64',
    node: 'v20.20.2',
    onnxruntime: '1.30.0',
  },
  model: {
    dir: 'models/bench',
    preset: 'bench',
    shape: { hidden_size: 512, num_hidden_layers: 8 },
    sizeMiB: 222,
  },
  server: { workers: 1, intraOpThreads: 2, maxBatchSize: 16 },
  concurrency: 16,
  decodeSteps: 64,
  prompt: { tokens: 32, prefillMs: 10.6 },
  perRound: { ceiling: 4, single: 6, concurrent: 48 },
  warmupRequests: { single: 2, concurrent: 16 },
  // A machine that slows down by half mid-run: the rounds' ratios stay put while each figure moves.
  rounds: [round(100, 92, 460), round(50, 46, 230), round(120, 108, 560)],
  routes: {
    score: { single: result('score', 1, 92, 12), concurrent: result('score', 16, 400, 144) },
    completions: {
      single: result('completions', 1, 90, 12),
      concurrent: result('completions', 16, 380, 144),
    },
  },
  stepShapes: [
    { batch: 1, promptTokens: 32, decodeSteps: 64 },
    { batch: 16, promptTokens: 448, decodeSteps: 64 },
  ],
  stepRounds: 5,
  stepTimes: [
    { variant: 'before', msPerStep: [5.25, 160] },
    { variant: 'after', msPerStep: [4.5, 20.04] },
  ],
  serverRssMiB: [590, 610, 612.4, 608],
};

test('the ratios are taken within each round; the medians are over the rounds', () => {
  assert.deepEqual(roundRatios(RUN.rounds[1]!, 'score'), {
    singleOverCeiling: 0.92,
    concurrentOverSingle: 5,
  });
  const figures = medianFigures(RUN.rounds);
  assert.equal(figures.ceiling, 100);
  assert.equal(figures.single.completions, 90);
  assert.equal(figures.concurrent.score, 460);
  const spread = ratioSpread(RUN.rounds, 'score');
  assert.equal(spread.singleOverCeiling.median, 0.92);
  assert.equal(spread.singleOverCeiling.min, 0.9);
  assert.equal(spread.singleOverCeiling.max, 0.92);
  assert.equal(spread.concurrentOverSingle.median, 5);
  assert.equal(spread.concurrentOverSingle.max, 560 / 108);
});

test('BENCHMARKS.md states every figure on both routes, the ratios against their targets, the machine and the command', () => {
  const md = renderBenchmarksMarkdown(RUN);
  assert.match(
    md,
    /\| \(a\) bare ONNX Runtime decode ceiling, batch 1 [^|]*\| 100\.0 tokens\/s \| 100\.0 tokens\/s \|/,
  );
  assert.match(md, /\| \(b\) server, one client \| 92\.0 tokens\/s \| 90\.0 tokens\/s \|/);
  assert.match(md, /\| \(c\) server, 16 concurrent clients \| 460\.0 tokens\/s \| 440\.0 tokens\/s \|/);
  assert.match(md, /\*\*b\/a\*\* per round[^|]*target ≥ 0\.90 \| \*\*0\.920\*\* \(0\.900–0\.920\): met \|/);
  assert.match(
    md,
    /\*\*c\/b\*\* per round[^|]*target ≥ 5 \| \*\*5\.00\*\* \(5\.00–5\.19\): met \| \*\*4\.89\*\*/,
  );
  assert.match(md, /4\.89\*\* \(4\.77–5\.09\): \*\*not met\*\* \|/);
  assert.match(md, /`POST \/score` \(Azure ML/);
  assert.match(md, /\*\*streaming pass\*\*/);
  assert.match(
    md,
    /\| 2 \| 50\.0 \| 400\.0 \| 46\.0 \| 230\.0 \| 0\.920 \| 5\.00 \| 44\.0 \| 210\.0 \| 0\.880 \| 4\.77 \|/,
  );
  assert.match(md, /AMD EPYC, \*\*2 cores\*\*/);
  assert.match(md, /\| CPU busy just before the run \| 2% \|/);
  assert.match(md, /onnxruntime-node \| 1\.30\.0/);
  assert.match(md, /```sh\nnpm run build && npm run bench\n```/);
  assert.match(md, /hidden_size 512, num_hidden_layers 8/);
  assert.match(
    md,
    /\| \(c\) stream, 16 clients \| 144\/144 \| none \| 690\.0 \| 750\.0 \| 800\.0 \| 19\.0 \| 25\.0 \| 30\.0 \| 10\.4 \| 11\.0 \| 14\.0 \| 14\.6 \|/,
  );
  assert.match(md, /stream from the server's `usage`/);
  assert.match(md, /gives 800\.0 tokens\/s,\n8\.00× batch 1/);
});

test('BENCHMARKS.md has the step time of each graph and KV cache variant, and the memory samples', () => {
  const md = renderBenchmarksMarkdown(RUN);
  assert.match(md, /\| graph and KV cache \| batch 1, context 32 → 96 \| batch 16, context 448 → 512 \|/);
  assert.match(md, /\| before \| 5\.3 \| 160\.0 \|\n\| after \| 4\.5 \| 20\.0 \|/);
  assert.match(
    md,
    /second quarter of the samples 610 MiB, of the last quarter 608 MiB \(-2 MiB\); min 590, max 612/,
  );
  assert.match(renderBenchmarksMarkdown({ ...RUN, serverRssMiB: [] }), /could not be read/);
});
