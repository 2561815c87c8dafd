import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { LlamaConfig } from '../src/modelgen/llama-config.js';
import { buildLlamaGraph, type LlamaGraphOptions } from '../src/modelgen/llama-graph.js';
import { inMemorySource } from '../src/modelgen/llama-weights.js';
import { writeModel } from '../src/modelgen/onnx/model-writer.js';
import { randomLlamaWeights } from '../src/modelgen/random-weights.js';
import { referenceForward } from '../src/modelgen/reference-forward.js';
import { runLlamaStep } from './helpers/models.js';

const GQA: LlamaConfig = {
  hiddenSize: 64,
  intermediateSize: 96,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  vocabSize: 300,
  maxPositions: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
};
const MHA: LlamaConfig = { ...GQA, numKvHeads: 4, tieWordEmbeddings: true, ropeTheta: 500 };
const PROMPT = [1, 17, 230, 5, 99, 42, 7, 288, 3];

const workDir = mkdtempSync(join(tmpdir(), 'modelgen-graph-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

let modelCount = 0;
async function session(config: LlamaConfig, options: LlamaGraphOptions = {}) {
  const weights = randomLlamaWeights(config, 42);
  const path = join(workDir, `model-${modelCount++}.onnx`);
  writeModel(buildLlamaGraph(config, inMemorySource(weights), options), path);
  return { weights, session: await ort.InferenceSession.create(path) };
}

const single = (ids: number[], past = 0) => ({
  ids: [ids],
  mask: [Array(past + ids.length).fill(1)],
  positions: [ids.map((_, i) => past + i)],
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

for (const [name, config, options] of [
  ['kv_heads < heads', GQA, {}],
  ['kv_heads = heads, tied embeddings', MHA, {}],
  ['fused RMSNorm and RoPE kernels', GQA, { fused: true }],
] as const) {
  test(`ONNX Runtime agrees with the float64 reference forward pass (${name})`, async () => {
    const { weights, session: s } = await session(config, options);
    const { logits, logitsDims } = await runLlamaStep(s, config, single(PROMPT));
    assert.deepEqual(logitsDims, [1, PROMPT.length, config.vocabSize]);
    const reference = referenceForward(config, weights, PROMPT);
    const expected = Float64Array.from(reference.flatMap((row) => Array.from(row)));
    const spread = Math.max(...expected) - Math.min(...expected);
    assert.ok(spread > 0.1, `logits vary enough to compare (spread ${spread})`);
    assert.ok(maxAbsDiff(logits, expected) < 1e-4, `max abs diff ${maxAbsDiff(logits, expected)}`);
  });
}

test('prefill then decode steps with the KV cache fed back equals one full pass', async () => {
  const { session: s } = await session(GQA);
  const full = await runLlamaStep(s, GQA, single(PROMPT));
  const split = 4;
  let result = await runLlamaStep(s, GQA, single(PROMPT.slice(0, split)));
  const rows = [result.logits];
  for (let i = split; i < PROMPT.length; i++) {
    result = await runLlamaStep(s, GQA, { ...single([PROMPT[i]!], i), past: result.past });
    rows.push(result.logits);
  }
  assert.deepEqual(result.past['past_key_values.1.key']!.dims, [1, 2, PROMPT.length, 16]);
  const stepwise = Float32Array.from(rows.flatMap((r) => Array.from(r)));
  assert.ok(maxAbsDiff(stepwise, full.logits) < 1e-5, `max abs diff ${maxAbsDiff(stepwise, full.logits)}`);
});

for (const fused of [false, true]) {
  test(`a left-padded batch of two sequences equals each sequence run alone${fused ? ' (fused kernels)' : ''}`, async () => {
    const { session: s } = await session(GQA, { fused });
    const long = PROMPT;
    const short = [1, 250, 8, 64];
    const pad = long.length - short.length;
    const mask = [long.map(() => 1), [...Array(pad).fill(0), ...short.map(() => 1)]];
    // position_ids = cumsum(mask) − 1: −1 on the padding, which the graph must tolerate.
    const positions = mask.map((row) => {
      let seen = 0;
      return row.map((m) => {
        seen += m;
        return seen - 1;
      });
    });
    const batchPrefill = await runLlamaStep(s, GQA, {
      ids: [long, [...Array(pad).fill(0), ...short]],
      mask,
      positions,
    });
    const vocab = GQA.vocabSize;
    const alone = [await runLlamaStep(s, GQA, single(long)), await runLlamaStep(s, GQA, single(short))];
    const row = (logits: Float32Array, b: number, pos: number, len: number) =>
      logits.subarray((b * len + pos) * vocab, (b * len + pos + 1) * vocab);
    for (let i = 0; i < short.length; i++) {
      const diff = maxAbsDiff(
        row(batchPrefill.logits, 1, pad + i, long.length),
        row(alone[1]!.logits, 0, i, short.length),
      );
      assert.ok(diff < 1e-5, `short sequence position ${i}: ${diff}`);
    }
    assert.ok(maxAbsDiff(batchPrefill.logits.subarray(0, long.length * vocab), alone[0]!.logits) < 1e-5);

    // One decode step for both rows on top of the padded past.
    const next = [5, 6];
    const decode = await runLlamaStep(s, GQA, {
      ids: next.map((id) => [id]),
      mask: mask.map((r) => [...r, 1]),
      positions: [[long.length], [short.length]],
      past: batchPrefill.past,
    });
    const aloneNext = [
      await runLlamaStep(s, GQA, single([...long, next[0]!])),
      await runLlamaStep(s, GQA, single([...short, next[1]!])),
    ];
    assert.ok(
      maxAbsDiff(decode.logits.subarray(0, vocab), aloneNext[0]!.logits.subarray(long.length * vocab)) < 1e-5,
    );
    assert.ok(
      maxAbsDiff(decode.logits.subarray(vocab), aloneNext[1]!.logits.subarray(short.length * vocab)) < 1e-5,
    );
  });
}

test("logits: 'last' equals the last row of 'all'", async () => {
  const all = await session(GQA);
  const last = await session(GQA, { logits: 'last' });
  const full = await runLlamaStep(all.session, GQA, single(PROMPT));
  const tail = await runLlamaStep(last.session, GQA, single(PROMPT));
  assert.deepEqual(tail.logitsDims, [1, 1, GQA.vocabSize]);
  const lastRow = full.logits.subarray((PROMPT.length - 1) * GQA.vocabSize);
  assert.ok(maxAbsDiff(tail.logits, lastRow) < 1e-6);
});

for (const fused of [false, true]) {
  test(`the float16 graph${fused ? ' (fused kernels)' : ''} matches the float32 graph within 2e-3 (logits up to ~0.5; prefill and decode)`, async () => {
    const f32 = await session(GQA);
    const f16 = await session(GQA, { dtype: 'float16', fused });
    const a = await runLlamaStep(f32.session, GQA, single(PROMPT.slice(0, 6)));
    const b = await runLlamaStep(f16.session, GQA, single(PROMPT.slice(0, 6)), 'float16');
    assert.equal(b.past['past_key_values.0.key']!.type, 'float16');
    assert.ok(maxAbsDiff(a.logits, b.logits) < 2e-3, `prefill: ${maxAbsDiff(a.logits, b.logits)}`);
    const a2 = await runLlamaStep(f32.session, GQA, { ...single([PROMPT[6]!], 6), past: a.past });
    const b2 = await runLlamaStep(f16.session, GQA, { ...single([PROMPT[6]!], 6), past: b.past }, 'float16');
    assert.ok(maxAbsDiff(a2.logits, b2.logits) < 2e-3, `decode: ${maxAbsDiff(a2.logits, b2.logits)}`);
  });
}

for (const fused of [false, true]) {
  test(`kvOutputs 'new': this run's K/V alone, and a right-padded past (the slot cache layout) gives the same logits${fused ? ' (fused kernels)' : ''}`, async () => {
    const present = await session(GQA, { fused });
    const fresh = await session(GQA, { fused, kvOutputs: 'new' });
    assert.ok(!fresh.session.outputNames.some((name) => name.startsWith('present.')));
    const prefill = await runLlamaStep(present.session, GQA, single(PROMPT.slice(0, 6)));
    const freshPrefill = await fresh.session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(PROMPT.slice(0, 6), BigInt), [1, 6]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(6).fill(1n), [1, 6]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from([0, 1, 2, 3, 4, 5], BigInt), [1, 6]),
      ...Object.fromEntries(
        Object.keys(prefill.past).map((name) => [
          name,
          new ort.Tensor('float32', new Float32Array(0), [1, GQA.numKvHeads, 0, 16]),
        ]),
      ),
    });
    assert.ok(maxAbsDiff(freshPrefill.logits!.data as Float32Array, prefill.logits) < 1e-5);
    // With an empty past, present is exactly the new keys/values.
    for (const name of Object.keys(prefill.past)) {
      const fromFresh = freshPrefill[name.replace('past_key_values.', 'new_key_values.')]!;
      assert.deepEqual(fromFresh.dims, [1, GQA.numKvHeads, 6, 16]);
      assert.deepEqual(fromFresh.data, prefill.past[name]!.data);
    }

    // Decode position 6 on a past of capacity 10: positions 6..9 hold garbage and are masked.
    const capacity = 10;
    const padded = Object.fromEntries(
      Object.entries(prefill.past).map(([name, tensor]) => {
        const data = new Float32Array(GQA.numKvHeads * capacity * 16).fill(7);
        for (let head = 0; head < GQA.numKvHeads; head++) {
          const source = (tensor.data as Float32Array).subarray(head * 6 * 16, (head + 1) * 6 * 16);
          data.set(source, head * capacity * 16);
        }
        return [name, new ort.Tensor('float32', data, [1, GQA.numKvHeads, capacity, 16])];
      }),
    );
    const slotMask = [[...Array(6).fill(1), ...Array(capacity - 6).fill(0), 1]];
    const slot = await runLlamaStep(fresh.session, GQA, {
      ids: [[PROMPT[6]!]],
      mask: slotMask,
      positions: [[6]],
      past: padded,
    });
    const grown = await runLlamaStep(present.session, GQA, {
      ...single([PROMPT[6]!], 6),
      past: prefill.past,
    });
    assert.ok(maxAbsDiff(slot.logits, grown.logits) < 1e-5, `${maxAbsDiff(slot.logits, grown.logits)}`);
  });
}
