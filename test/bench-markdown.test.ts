import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BenchmarkRun, ratios, renderBenchmarksMarkdown } from '../src/bench/benchmarks-markdown.js';
import type { BenchResult } from '../src/bench/load-generator.js';

const result = (concurrency: number, tokensPerS: number, sent: number): BenchResult => ({
  url: 'http://127.0.0.1:40000/',
  route: 'completions',
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
  decodeSteps: 64,
  repetitions: 5,
  warmupRequests: { single: 2, concurrent: 16 },
  ceiling: {
    promptTokens: 32,
    prefillMs: 50,
    tokensPerS: 100,
    repetitionTokensPerS: [99, 100, 101, 98, 102],
  },
  batchedCeiling: {
    promptTokens: 32,
    prefillMs: 400,
    tokensPerS: 800,
    repetitionTokensPerS: [800, 790, 810, 805, 795],
  },
  single: result(1, 92, 16),
  concurrent: result(16, 400, 96),
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

test('the ratios are b/a and c/b', () => {
  const r = ratios(RUN);
  assert.equal(r.singleOverCeiling, 0.92);
  assert.equal(r.concurrentOverSingle, 400 / 92);
});

test('BENCHMARKS.md states every figure, the ratios against their targets, the machine and the command', () => {
  const md = renderBenchmarksMarkdown(RUN);
  assert.match(md, /\| \(a\) bare ONNX Runtime decode ceiling, batch 1 \| 100\.0 tokens\/s \|/);
  assert.match(md, /\| \(b\) server, one client \| 92\.0 tokens\/s \|/);
  assert.match(md, /\| \(c\) server, 16 concurrent clients \| 400\.0 tokens\/s \|/);
  assert.match(md, /\*\*b\/a\*\* \(target ≥ 0\.90\) \| \*\*0\.920\*\*: met/);
  assert.match(md, /\*\*c\/b\*\* \(target ≥ 5\) \| \*\*4\.35\*\*: \*\*not met\*\*/);
  assert.match(md, /AMD EPYC, \*\*2 cores\*\*/);
  assert.match(md, /\| CPU busy just before the run \| 2% \|/);
  assert.match(md, /onnxruntime-node \| 1\.30\.0/);
  assert.match(md, /```sh\nnpm run build && npm run bench\n```/);
  assert.match(md, /99\.0, 100\.0, 101\.0, 98\.0, 102\.0 tokens\/s/);
  assert.match(md, /hidden_size 512, num_hidden_layers 8/);
  assert.match(
    md,
    /\| \(c\) 16 clients \| 96\/96 \| none \| 690\.0 \| 750\.0 \| 800\.0 \| 19\.0 \| 25\.0 \| 30\.0 \| 10\.4 \| 11\.0 \| 14\.0 \| 14\.6 \|/,
  );
  assert.match(md, /from the server's `usage`/);
  assert.match(md, /\| reference: bare decode at batch 16 \| 800\.0 tokens\/s \(8\.00× batch 1/);
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
