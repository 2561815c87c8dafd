/** Whether a WebGPU (Vulkan) device is usable here: tests that need one skip with the reason when not. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

let cached: string | false | undefined;

/**
 * A one-line reason when no WebGPU device can be opened, else false. Probed in a child process (a driver may
 * crash the process that tries), by opening the device cache's own small session.
 */
export function webgpuMissing(): string | false {
  if (cached !== undefined) return cached;
  const module = join(REPO_ROOT, 'dist', 'src', 'engine', 'device-kv-cache.js');
  const probe = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await (await import(${JSON.stringify(module)})).createKvRowsSession('float32');`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (probe.status === 0) cached = false;
  else {
    const lines = probe.stderr.split('\n').filter((line) => /Error|adapter|vulkan/i.test(line));
    cached = `no WebGPU (Vulkan) device: ${lines.at(-1)?.trim() ?? `probe exited ${probe.status ?? probe.signal}`}`;
  }
  return cached;
}
