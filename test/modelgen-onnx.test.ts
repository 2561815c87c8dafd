import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { float16ToFloat32 } from '../src/engine/float16.js';
import { toFloat16Array, toFloat16Bits } from '../src/modelgen/onnx/float16.js';
import { GraphBuilder } from '../src/modelgen/onnx/graph-builder.js';
import { readModel } from '../src/modelgen/onnx/model-reader.js';
import { writeModel } from '../src/modelgen/onnx/model-writer.js';
import { DataType } from '../src/modelgen/onnx/onnx-proto.js';

const workDir = mkdtempSync(join(tmpdir(), 'modelgen-onnx-'));
const halfToNumber = (bits: number) => float16ToFloat32(Uint16Array.of(bits))[0]!;
after(() => rmSync(workDir, { recursive: true, force: true }));

test('float16 conversion rounds to nearest even and handles subnormals, overflow and NaN', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up past the largest half: Infinity
    [1e6, 0x7c00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // ties to even: 0
    [3 * 2 ** -25, 0x0002],
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: even (1)
    [1 + 3 * 2 ** -11, 0x3c02],
    [0.1, 0x2e66],
  ];
  for (const [value, bits] of cases) {
    assert.equal(toFloat16Bits(value), bits, `${value}`);
    assert.equal(toFloat16Array(Float32Array.of(value))[0], bits, `bulk ${value}`);
  }
  assert.ok(Number.isNaN(halfToNumber(toFloat16Bits(Number.NaN))));
  assert.equal(halfToNumber(0x3555), 0.333251953125);
  // Every finite half survives half → number → half.
  for (let bits = 0; bits < 0x7c00; bits++) assert.equal(toFloat16Bits(halfToNumber(bits)), bits);
});

test('the writer produces a model ONNX Runtime runs, with symbolic dims and opsets read back', async () => {
  const g = new GraphBuilder('add-scale');
  const x = g.input('x', DataType.FLOAT, ['batch_size', 3]);
  const w = g.initializer('w', DataType.FLOAT, [3], () => new Uint8Array(Float32Array.of(1, 2, 3).buffer));
  g.output('y', DataType.FLOAT, ['batch_size', 3]);
  g.op('Mul', [g.op('Add', [x, w]), g.float([2], [])], { output: 'y' });
  const path = join(workDir, 'add-scale.onnx');
  writeModel(g, path);

  const session = await ort.InferenceSession.create(path);
  const out = await session.run({
    x: new ort.Tensor('float32', Float32Array.of(0, 1, 2, 10, 20, 30), [2, 3]),
  });
  assert.deepEqual(Array.from(out.y!.data as Float32Array), [2, 6, 10, 22, 44, 66]);

  const model = readModel(path);
  assert.deepEqual(model.opsets, [{ domain: '', version: 17 }]);
  assert.deepEqual(model.inputs, [{ name: 'x', elemType: DataType.FLOAT, dims: ['batch_size', 3] }]);
  assert.deepEqual(model.opTypes, ['Add', 'Mul']);
  assert.deepEqual(
    model.initializers.map((t) => [t.name, t.dims, t.rawBytes]),
    [
      ['w', [3], 12],
      ['/const/0', [], 4],
    ],
  );
});
