import { InferenceSession } from 'onnxruntime-node';
import {
  autoCandidates,
  type ExecutionProvider,
  INSTALL_HINTS,
  missingProvider,
  type ProviderChoice,
} from './execution-provider.js';
import { visibleGpuIds } from './gpu-devices.js';

export { EXECUTION_PROVIDERS, type ExecutionProvider } from './execution-provider.js';

export interface SessionOptions {
  provider: ProviderChoice;
  /** CUDA device index. */
  deviceId: number;
  /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose. */
  intraOpThreads: number;
  /**
   * Keep the intra-op threads spinning after a run returns (ONNX Runtime's default), ready for the next one:
   * the fastest for a bare loop of runs that has the cores to itself. A server says false (see createSession).
   */
  spinBetweenRuns?: boolean;
  /**
   * Outputs a WebGPU session should leave on the device (gpu-buffer tensors), where the graph has them all;
   * a graph without them is opened without (see CreatedSession.deviceOutputs).
   */
  deviceOutputs?: readonly string[];
}

export interface CreatedSession {
  session: InferenceSession;
  /** The provider in use: the one asked for, or what 'auto' chose. */
  provider: ExecutionProvider;
  /** Whether `deviceOutputs` come back as gpu-buffer tensors. */
  deviceOutputs: boolean;
}

/** How operators and the log see things: ONNX Runtime's messages span several lines. */
export type SessionLog = (level: 'info' | 'warn', message: string) => void;

const oneLine = (err: unknown) => String(err instanceof Error ? err.message : err).replace(/\s*\n\s*/g, ' ');

function providerList(
  provider: ExecutionProvider,
  deviceId: number,
): InferenceSession.ExecutionProviderConfig[] {
  // The CPU provider after a GPU one takes the nodes the GPU one has no kernel for (shape computations).
  if (provider === 'cuda') return [{ name: 'cuda', deviceId }, 'cpu'];
  if (provider === 'webgpu') return ['webgpu', 'cpu'];
  return ['cpu'];
}

/**
 * Opens the model by file path, so ONNX Runtime finds external weights (model.onnx.data) beside it. A provider
 * asked for by name must load, else this throws with why and how to install it; 'auto' tries cuda, webgpu
 * (where a GPU is visible) and cpu in turn and logs what it chose and why not the others.
 */
export async function createSession(
  modelPath: string,
  options: SessionOptions,
  log: SessionLog,
): Promise<CreatedSession> {
  // ONNX Runtime's other defaults stay, by measurement on the 2-core bench (BENCHMARKS.md): sequential execution,
  // the CPU memory arena, and intra-op threads that spin inside a run (not spinning at all cost a single stream
  // ~15%). Between runs a server's threads stop (force_spinning_stop): a spinning thread would hold a core
  // while the worker thread samples and posts its tokens, and the main thread woken by that message (HTTP,
  // streaming) then takes the worker's core, not the spinner's.
  const spinBetweenRuns = options.spinBetweenRuns ?? true;
  const open = (provider: ExecutionProvider, deviceOutputs: readonly string[]) =>
    InferenceSession.create(modelPath, {
      executionProviders: providerList(provider, options.deviceId),
      ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
      graphOptimizationLevel: 'all',
      ...(spinBetweenRuns ? {} : { extra: { session: { force_spinning_stop: '1' } } }),
      ...(deviceOutputs.length > 0
        ? { preferredOutputLocation: Object.fromEntries(deviceOutputs.map((name) => [name, 'gpu-buffer'])) }
        : {}),
    });
  const create = async (provider: ExecutionProvider): Promise<CreatedSession> => {
    const deviceOutputs = provider === 'webgpu' ? (options.deviceOutputs ?? []) : [];
    if (deviceOutputs.length === 0)
      return { session: await open(provider, []), provider, deviceOutputs: false };
    try {
      return { session: await open(provider, deviceOutputs), provider, deviceOutputs: true };
    } catch (err) {
      // The graph lacks those outputs (e.g. it returns new_key_values): its KV cache stays on the host.
      if (!/is not a valid output name/.test(oneLine(err))) throw err;
      return { session: await open(provider, []), provider, deviceOutputs: false };
    }
  };

  if (options.provider !== 'auto') {
    const provider = options.provider;
    if (provider === 'cpu') return create('cpu');
    const missing = missingProvider(provider);
    if (missing !== undefined) throw new Error(missing);
    try {
      return await create(provider);
    } catch (err) {
      throw new Error(
        `the ${provider} execution provider failed to start: ${oneLine(err)}; ${INSTALL_HINTS[provider]}`,
      );
    }
  }
  const { candidates, skipped } = autoCandidates(visibleGpuIds().length);
  for (const provider of candidates) {
    try {
      const created = await create(provider);
      log(
        'info',
        `--provider auto chose ${provider}${skipped.length > 0 ? ` (not ${skipped.join('; ')})` : ''}`,
      );
      return created;
    } catch (err) {
      if (provider === 'cpu') throw err;
      skipped.push(`${provider}: it failed to start: ${oneLine(err)}`);
    }
  }
  throw new Error('no execution provider could start');
}
