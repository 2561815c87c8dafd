/**
 * Which ONNX Runtime execution provider a session asks for, and why one cannot be used here, said with how to
 * install it. An explicitly requested provider that cannot load is an error (the server does not start); only
 * 'auto' falls back, to the next provider that loads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
/** What an operator may ask for: a provider, or 'auto' (the first of cuda, webgpu, cpu that loads). */
export const PROVIDER_CHOICES = [...EXECUTION_PROVIDERS, 'auto'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

/** Where onnxruntime-node keeps its native libraries for this platform (its CUDA provider is installed there). */
export function onnxRuntimeBinDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

export const CUDA_PROVIDER_LIBRARIES = [
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_cuda.so',
] as const;

export const INSTALL_HINTS: Record<Exclude<ExecutionProvider, 'cpu'>, string> = {
  cuda:
    'install it with `npm run install-cuda-provider` (downloads onnxruntime-node’s CUDA 12 provider from NuGet, ' +
    'so it needs the internet; the machine needs the NVIDIA driver, CUDA 12 and cuDNN 9), or use docker/Dockerfile.cuda',
  webgpu:
    'WebGPU needs libvulkan.so.1 and a Vulkan driver: `apt-get install libvulkan1` (NVIDIA’s driver brings its ' +
    'Vulkan driver; Debian bookworm’s Mesa is too old for Dawn, use mesa-vulkan-drivers from bookworm-backports)',
};

function libvulkanInstalled(): boolean {
  const listed = spawnSync('ldconfig', ['-p'], { encoding: 'utf8', timeout: 5000 });
  if (listed.status === 0) return listed.stdout.includes('libvulkan.so.1 ');
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'].some((dir) =>
    existsSync(join(dir, 'libvulkan.so.1')),
  );
}

/**
 * Why `provider` certainly cannot load here (its libraries are missing), with how to install it; undefined
 * when it may load (a session is then the test: a driver or device can still refuse).
 */
export function missingProvider(provider: ExecutionProvider): string | undefined {
  if (provider === 'cuda') {
    const dir = onnxRuntimeBinDir();
    const missing = CUDA_PROVIDER_LIBRARIES.filter((lib) => !existsSync(join(dir, lib)));
    if (missing.length > 0) {
      return `the CUDA execution provider is not installed (no ${missing.join(', ')} in ${dir}): ${INSTALL_HINTS.cuda}`;
    }
  }
  if (provider === 'webgpu' && !libvulkanInstalled()) {
    return `the WebGPU execution provider cannot load (libvulkan.so.1 not found): ${INSTALL_HINTS.webgpu}`;
  }
  return undefined;
}

/**
 * The providers 'auto' tries, in order: the GPU ones only where a GPU is visible (WebGPU on a CPU Vulkan driver
 * such as lavapipe is slower than the CPU provider), and only when their libraries are present.
 */
export function autoCandidates(gpuCount: number): { candidates: ExecutionProvider[]; skipped: string[] } {
  const skipped: string[] = [];
  const candidates: ExecutionProvider[] = [];
  for (const provider of ['cuda', 'webgpu'] as const) {
    const missing = gpuCount === 0 ? 'no GPU visible' : missingProvider(provider);
    if (missing === undefined) candidates.push(provider);
    else skipped.push(`${provider}: ${missing}`);
  }
  return { candidates: [...candidates, 'cpu'], skipped };
}
