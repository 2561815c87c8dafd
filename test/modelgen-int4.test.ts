import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  blocksPerColumn,
  dequantizeInt4,
  type Int4Layout,
  quantizeInt4,
} from '../src/modelgen/int4/block-quantize.js';
import { type Int4Options, matMulNBits } from '../src/modelgen/int4/matmul-nbits.js';
import { GraphBuilder } from '../src/modelgen/onnx/graph-builder.js';
import { writeModel } from '../src/modelgen/onnx/model-writer.js';
import { DataType } from '../src/modelgen/onnx/onnx-proto.js';
import { Prng } from '../src/modelgen/prng.js';

const workDir = mkdtempSync(join(tmpdir(), 'modelgen-int4-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

function uniform(length: number, seed: string, width = 2): Float32Array {
  const out = new Float32Array(length);
  new Prng(7, seed).fillUniform(out, width);
  return out;
}

/** Y = A · W in float64: A [M, K], W [K, N]. */
function matmul(a: Float32Array, w: Float32Array, m: number, k: number, n: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let kk = 0; kk < k; kk++)
      for (let j = 0; j < n; j++) y[i * n + j]! += a[i * k + kk]! * w[kk * n + j]!;
  return y;
}

/** A model of one MatMulNBits node on a [M, K] input, run by ONNX Runtime. */
async function runMatMulNBits(
  a: Float32Array,
  m: number,
  w: Float32Array,
  layout: Int4Layout,
  options: Int4Options,
) {
  const g = new GraphBuilder('matmul-nbits');
  const x = g.input('a', DataType.FLOAT, [m, layout.k]);
  g.output('y', DataType.FLOAT, [m, layout.n]);
  const linear = {
    name: 'w',
    inFeatures: layout.k,
    outFeatures: layout.n,
    weight: () => w,
    floatType: DataType.FLOAT,
  };
  matMulNBits(g, x, linear, options, 'y');
  const path = join(
    workDir,
    `k${layout.k}-n${layout.n}-b${layout.blockSize}-${options.symmetric}-${options.accuracyLevel}.onnx`,
  );
  writeModel(g, path);
  const session = await ort.InferenceSession.create(path);
  try {
    const out = await session.run({ a: new ort.Tensor('float32', a, [m, layout.k]) });
    return out.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

const SHAPES: (Int4Layout & { m: number })[] = [
  { m: 1, k: 64, n: 48, blockSize: 32 },
  { m: 5, k: 172, n: 20, blockSize: 32 }, // K not a multiple of the block: a padded last block
  { m: 3, k: 256, n: 33, blockSize: 16 },
  { m: 2, k: 320, n: 16, blockSize: 64 },
  { m: 4, k: 512, n: 24, blockSize: 128 },
];

test('quantize → dequantize stays within half a step (asymmetric) or one step (symmetric) of every weight', () => {
  for (const shape of SHAPES) {
    const w = uniform(shape.k * shape.n, `w-${shape.k}-${shape.n}`);
    // A column of zeros and a constant column: zero and single-valued blocks.
    for (let k = 0; k < shape.k; k++) {
      w[k * shape.n] = 0;
      w[k * shape.n + 1] = -0.25;
    }
    for (const symmetric of [true, false]) {
      const q = quantizeInt4(w, shape, symmetric);
      assert.equal(q.codes.length, shape.n * blocksPerColumn(shape) * (shape.blockSize / 2));
      const back = dequantizeInt4(q);
      const blocks = blocksPerColumn(shape);
      for (let k = 0; k < shape.k; k++) {
        for (let n = 0; n < shape.n; n++) {
          const step = Math.abs(q.scales[n * blocks + Math.floor(k / shape.blockSize)]!);
          const error = Math.abs(back[k * shape.n + n]! - w[k * shape.n + n]!);
          const bound = (symmetric ? 1 : 0.5) * step * (1 + 1e-6) + 1e-9;
          assert.ok(
            error <= bound,
            `${JSON.stringify(shape)} symmetric=${symmetric} [${k},${n}]: ${error} > ${bound}`,
          );
        }
        assert.ok(back[k * shape.n] === 0, 'a zero column stays exactly zero');
      }
      // The block's extreme value maps exactly (symmetric: to code 0, i.e. −8 steps).
      const column = Array.from({ length: shape.k }, (_, k) => w[k * shape.n + 5]!).slice(0, shape.blockSize);
      const extreme = column.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
      const at = column.indexOf(extreme);
      assert.ok(
        Math.abs(back[at * shape.n + 5]! - extreme) <
          1e-6 * Math.abs(extreme) + (symmetric ? 0 : q.scales[5 * blocks]! / 2),
      );
    }
  }
});

test('ORT MatMulNBits = the TypeScript dequantize-then-matmul: accuracy_level 0 to float32 rounding', async () => {
  for (const shape of SHAPES) {
    const w = uniform(shape.k * shape.n, `w-${shape.k}-${shape.n}`);
    const a = uniform(shape.m * shape.k, `a-${shape.m}-${shape.k}`, 4);
    for (const symmetric of [true, false]) {
      const options = { blockSize: shape.blockSize, accuracyLevel: 0, symmetric };
      const expected = matmul(
        a,
        dequantizeInt4(quantizeInt4(w, shape, symmetric)),
        shape.m,
        shape.k,
        shape.n,
      );
      const magnitude = matmul(a.map(Math.abs), w.map(Math.abs), shape.m, shape.k, shape.n);
      const actual = await runMatMulNBits(a, shape.m, w, shape, options);
      for (let i = 0; i < expected.length; i++) {
        const tolerance = 1e-5 * magnitude[i]! + 1e-6;
        assert.ok(
          Math.abs(actual[i]! - expected[i]!) <= tolerance,
          `${JSON.stringify(shape)} symmetric=${symmetric} y[${i}] = ${actual[i]}, reference ${expected[i]}`,
        );
      }
    }
  }
});

test('... and accuracy_level 4 (int8 activations) within the int8 rounding of A, block by block', async () => {
  for (const shape of SHAPES) {
    const w = uniform(shape.k * shape.n, `w-${shape.k}-${shape.n}`);
    const a = uniform(shape.m * shape.k, `a-${shape.m}-${shape.k}`, 4);
    for (const symmetric of [true, false]) {
      const options = { blockSize: shape.blockSize, accuracyLevel: 4, symmetric };
      const dequantized = dequantizeInt4(quantizeInt4(w, shape, symmetric));
      const expected = matmul(a, dequantized, shape.m, shape.k, shape.n);
      const actual = await runMatMulNBits(a, shape.m, w, shape, options);
      let exact = 0;
      for (let i = 0; i < shape.m; i++) {
        for (let j = 0; j < shape.n; j++) {
          // Each block of A is rounded to int8 steps of max|a|/127: at most half a step per value.
          let bound = 1e-5;
          for (let k0 = 0; k0 < shape.k; k0 += shape.blockSize) {
            let maxA = 0;
            let sumW = 0;
            for (let k = k0; k < Math.min(k0 + shape.blockSize, shape.k); k++) {
              maxA = Math.max(maxA, Math.abs(a[i * shape.k + k]!));
              sumW += Math.abs(dequantized[k * shape.n + j]!);
            }
            bound += (maxA / 254) * sumW * 1.001;
          }
          const error = Math.abs(actual[i * shape.n + j]! - expected[i * shape.n + j]!);
          assert.ok(
            error <= bound,
            `${JSON.stringify(shape)} symmetric=${symmetric} y[${i},${j}]: error ${error} > ${bound}`,
          );
          if (error < 1e-5) exact++;
        }
      }
      assert.ok(
        exact < shape.m * shape.n,
        'accuracy_level 4 really rounds A (else this test proves nothing)',
      );
    }
  }
});
