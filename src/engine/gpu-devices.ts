/**
 * The GPUs this process may use, found without loading any provider: CUDA's numbering (CUDA_VISIBLE_DEVICES
 * renumbers the devices it names from 0), else what `nvidia-smi -L` lists, else the render nodes of other
 * GPUs (/dev/dri/renderD*), which only WebGPU (Vulkan) can drive.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** GPUs `nvidia-smi -L` lists; 0 where it is missing or fails. */
export function nvidiaGpuCount(): number {
  const result = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 });
  if (result.status !== 0) return 0;
  return result.stdout.split('\n').filter((line) => line.startsWith('GPU ')).length;
}

function renderNodeCount(): number {
  try {
    return readdirSync('/dev/dri').filter((name) => name.startsWith('renderD')).length;
  } catch {
    return 0;
  }
}

/** Device ids 0..n-1 of the GPUs visible here (none on a CPU machine). */
export function visibleGpuIds(env: NodeJS.ProcessEnv = process.env): number[] {
  const cudaVisible = env.CUDA_VISIBLE_DEVICES;
  const count =
    cudaVisible !== undefined
      ? cudaVisible.split(',').filter((id) => id.trim() !== '' && id.trim() !== '-1').length
      : nvidiaGpuCount() || renderNodeCount();
  return Array.from({ length: count }, (_, id) => id);
}
