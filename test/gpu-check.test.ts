/**
 * scripts/gpu-check.sh end to end on the CPU (`--cpu-only --small`): the JSON it writes. CI runs the script
 * before the tests into .cache/gpu-check (see .ci/run); a report there newer than the built script is
 * validated as is, else the test runs the script itself.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { extrapolate, GPU_CHECK_SCHEMA, type GpuCheckReport } from '../src/bench/gpu-check.js';
import { REPO_ROOT } from './helpers/paths.js';

const BUILT_SCRIPT = join(REPO_ROOT, 'dist', 'scripts', 'gpu-check.js');
const CI_REPORT = join(REPO_ROOT, '.cache', 'gpu-check', 'gpu-check.json');

function report(): GpuCheckReport {
  if (existsSync(CI_REPORT) && statSync(CI_REPORT).mtimeMs > statSync(BUILT_SCRIPT).mtimeMs) {
    return JSON.parse(readFileSync(CI_REPORT, 'utf8')) as GpuCheckReport;
  }
  const out = mkdtempSync(join(tmpdir(), 'gpu-check-'));
  try {
    const run = spawnSync(
      join(REPO_ROOT, 'scripts', 'gpu-check.sh'),
      ['--cpu-only', '--small', '--out', out],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /== machine: \d+ cores/);
    return JSON.parse(readFileSync(join(out, 'gpu-check.json'), 'utf8')) as GpuCheckReport;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

test('gpu-check --cpu-only --small: step times at batch 1, 8, 32 at two depths, extrapolated, with the bound', () => {
  const r = report();
  assert.equal(r.schema, GPU_CHECK_SCHEMA);
  assert.deepEqual(r.providers, [{ provider: 'cpu', loaded: true, deviceKvCache: false }]);
  assert.equal(r.model.preset, 'bench');
  assert.equal(r.model.fullLayers, 8);
  const [shallow, deep] = r.model.layerCounts;
  assert.ok(deep > shallow);
  assert.ok(r.model.weightBytes[1] > r.model.weightBytes[0] && r.model.bytesPerLayer > 0);
  assert.equal(
    r.model.fullWeightBytes,
    r.model.weightBytes[0] + r.model.bytesPerLayer * (r.model.fullLayers - 1),
  );
  for (const layers of [shallow, deep]) {
    for (const batch of [1, 8, 32]) {
      const timing = r.steps.find((s) => s.layers === layers && s.batch === batch);
      assert.ok(timing, `no timing at ${layers} layers, batch ${batch}`);
      assert.ok(timing.stepMs.length > 0 && timing.stepMs.every((ms) => ms > 0));
      assert.ok(
        timing.medianStepMs >= Math.min(...timing.stepMs) &&
          timing.medianStepMs <= Math.max(...timing.stepMs),
      );
    }
  }
  const cpuBandwidth = r.bandwidth?.cpu;
  assert.ok(cpuBandwidth && cpuBandwidth.bytesPerS > 1e8, 'the host read bandwidth was measured');
  assert.deepEqual(
    r.extrapolated.map((e) => e.batch),
    [1, 8, 32],
  );
  for (const e of r.extrapolated) {
    assert.ok(Number.isFinite(e.tokensPerS) && e.tokensPerS > 0);
    assert.ok(Math.abs(e.tokensPerS - (e.batch * 1000) / e.stepMs) < 1e-6);
    assert.ok(
      Math.abs(e.bandwidthBoundTokensPerS! - (e.batch * cpuBandwidth.bytesPerS) / r.model.fullWeightBytes) <
        1e-6,
    );
  }
});

/** Median steps measured at 1 layer and at `layers`. */
const depths = (oneLayerMs: number, layers: number, ms: number) =>
  [
    { layers: 1, ms: oneLayerMs },
    { layers, ms },
  ] as const;

test('extrapolation: a line through the two depths, evaluated at full depth; a negative slope counts as flat', () => {
  const h200 = { bytesPerS: 4.8e12, source: 'datasheet' };
  const e = extrapolate('cuda', 8, depths(3, 5, 7), 40, 26e9, h200);
  assert.deepEqual([e.perLayerMs, e.fixedMs, e.stepMs, e.tokensPerS], [1, 2, 42, 8000 / 42]);
  assert.equal(e.bandwidthBoundTokensPerS, (8 * 4.8e12) / 26e9);
  const flat = extrapolate('cpu', 1, depths(5, 2, 4), 40, 1e9);
  assert.deepEqual([flat.perLayerMs, flat.stepMs, flat.bandwidthBoundTokensPerS], [0, 4, undefined]);
});
