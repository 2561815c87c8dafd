import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DEFAULT_INT4 } from '../src/modelgen/int4/matmul-nbits.js';
import { fromHfConfig } from '../src/modelgen/llama-config.js';
import { readModel } from '../src/modelgen/onnx/model-reader.js';
import { ModelProto } from '../src/modelgen/onnx/onnx-proto.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { convertedAidreams, onnxGreedy } from './helpers/models.js';
import { CLI, fixturesMissing } from './helpers/paths.js';
import { postJson, startServer, type TestServer } from './helpers/server.js';

const skip = fixturesMissing();
const workDir = mkdtempSync(join(tmpdir(), 'server-int4-'));
const quantized = join(workDir, 'aidreams-int4');
let floatDir: string;
let server: TestServer;

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

before(async () => {
  if (skip) return;
  floatDir = await convertedAidreams();
  const result = cli('quantize', '--in', floatDir, '--out', quantized);
  assert.equal(result.status, 0, result.stderr);
  server = await startServer({ modelDir: quantized });
});
after(async () => {
  await server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

test('quantize rewrites every linear layer of aidreams260K as MatMulNBits and keeps the rest', {
  skip,
}, () => {
  const model = readModel(join(quantized, 'model.onnx'));
  const float = readModel(join(floatDir, 'model.onnx'));
  const count = (m: typeof model, op: string) => m.opTypes.filter((t) => t === op).length;
  // 4 layers × 7 projections + the (tied) LM head.
  assert.equal(count(model, 'MatMulNBits'), 4 * 7 + 1);
  assert.equal(count(float, 'MatMulNBits'), 0);
  assert.ok(!model.initializers.some((t) => t.name.endsWith('.weight.T')), 'no float linear weights left');
  assert.deepEqual(model.inputs, float.inputs);
  assert.deepEqual(model.outputs, float.outputs);
  const config = JSON.parse(readFileSync(join(quantized, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(config.quantization_config, {
    quant_method: 'matmul_nbits',
    bits: 4,
    block_size: 32,
    accuracy_level: 4,
    symmetric: true,
  });
});

test('the quantized model served through /score = greedy decoding of the same int4 weights by a bare ONNX Runtime loop', {
  skip,
}, async () => {
  // The oracle: the same int4 layers in a graph that returns the whole present K/V, decoded by re-feeding it.
  const oracleDir = await convertedAidreams({ fused: true, logits: 'all', int4: DEFAULT_INT4 });
  const session = await ort.InferenceSession.create(join(oracleDir, 'model.onnx'));
  const tokenizer = await loadTokenizer(quantized);
  const configPath = join(oracleDir, 'config.json');
  const config = fromHfConfig(
    JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>,
    configPath,
  );
  try {
    for (const reference of aidreamsGreedyReference()) {
      const ids = await onnxGreedy(session, config, reference.prompt_ids, reference.max_new_tokens);
      const { status, json } = await postJson(`${server.url}/score`, {
        input_data: {
          input_string: [reference.prompt],
          parameters: { do_sample: false, max_new_tokens: reference.max_new_tokens, return_full_text: false },
        },
      });
      assert.equal(status, 200, JSON.stringify(json));
      assert.equal((json as Record<string, string>[])[0]!['0'], tokenizer.decode(ids), reference.prompt);
    }
  } finally {
    await session.release();
  }
});

test('quantize: an already quantized model, a model not written by llama-endpoint, bad flags: one line, exit 2', {
  skip,
}, () => {
  const oneLine = (result: ReturnType<typeof cli>, pattern: RegExp) => {
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, pattern);
  };
  oneLine(cli('quantize', '--in', quantized, '--out', join(workDir, 'again')), /already quantized/);
  oneLine(
    cli('quantize', '--in', join(workDir, 'missing'), '--out', join(workDir, 'x')),
    /--in .* is not a directory/,
  );
  oneLine(cli('quantize', '--in', floatDir, '--out', floatDir), /--out must differ from --in/);
  oneLine(
    cli('quantize', '--in', floatDir, '--out', join(workDir, 'x'), '--block-size', '24'),
    /--block-size must be a power of two/,
  );
  oneLine(
    cli('quantize', '--in', floatDir, '--out', join(workDir, 'x'), '--accuracy-level', '5'),
    /--accuracy-level must be/,
  );
  oneLine(
    cli('create-random', '--preset', 'tiny', '--out', join(workDir, 'x'), '--block-size', '64'),
    /--block-size needs --quantize int4/,
  );
  oneLine(
    cli('create-random', '--preset', 'tiny', '--out', join(workDir, 'x'), '--quantize', 'int8'),
    /--quantize must be one of none, int4/,
  );

  const foreign = join(workDir, 'foreign');
  cli('quantize', '--in', floatDir, '--out', join(workDir, 'copy'));
  const message = ModelProto.decode(readFileSync(join(floatDir, 'model.onnx')));
  const model = ModelProto.toObject(message) as Record<string, unknown>;
  spawnSync('cp', ['-r', floatDir, foreign]);
  writeFileSync(
    join(foreign, 'model.onnx'),
    ModelProto.encode(ModelProto.fromObject({ ...model, producerName: 'pytorch' })).finish(),
  );
  oneLine(cli('quantize', '--in', foreign, '--out', join(workDir, 'y')), /written by 'pytorch'/);
});
