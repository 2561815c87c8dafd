import { InferenceSession } from 'onnxruntime-node';

/** Where a session runs its graph; CUDA and WebGPU fall back to the CPU where they cannot start. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export interface SessionOptions {
  provider: ExecutionProvider;
  /** CUDA device index. */
  deviceId: number;
  /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose. */
  intraOpThreads: number;
  /**
   * Keep the intra-op threads spinning after a run returns (ONNX Runtime's default), ready for the next one:
   * the fastest for a bare loop of runs that has the cores to itself. A server says false (see createSession).
   */
  spinBetweenRuns?: boolean;
}

export interface CreatedSession {
  session: InferenceSession;
  /** The provider actually in use: CPU when the asked-for one could not start. */
  provider: ExecutionProvider;
}

function providerList(
  provider: ExecutionProvider,
  deviceId: number,
): InferenceSession.ExecutionProviderConfig[] {
  if (provider === 'cuda') return [{ name: 'cuda', deviceId }, 'cpu'];
  if (provider === 'webgpu') return ['webgpu', 'cpu'];
  return ['cpu'];
}

/**
 * Opens the model by file path, so ONNX Runtime finds external weights (model.onnx.data) beside it. Asking for
 * CUDA throws where its libraries are missing; then the CPU takes over and `warn` says so.
 */
export async function createSession(
  modelPath: string,
  options: SessionOptions,
  warn: (message: string) => void,
): Promise<CreatedSession> {
  // ONNX Runtime's other defaults stay, by measurement on the 2-core bench (BENCHMARKS.md): sequential execution,
  // the CPU memory arena, and intra-op threads that spin inside a run (not spinning at all cost a single stream
  // ~15%). Between runs a server's threads stop (force_spinning_stop): a spinning thread would hold a core
  // while the worker thread samples and posts its tokens, and the main thread woken by that message (HTTP,
  // streaming) then takes the worker's core, not the spinner's.
  const spinBetweenRuns = options.spinBetweenRuns ?? true;
  const create = (provider: ExecutionProvider) =>
    InferenceSession.create(modelPath, {
      executionProviders: providerList(provider, options.deviceId),
      ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
      graphOptimizationLevel: 'all',
      ...(spinBetweenRuns ? {} : { extra: { session: { force_spinning_stop: '1' } } }),
    });
  if (options.provider === 'cpu') return { session: await create('cpu'), provider: 'cpu' };
  try {
    return { session: await create(options.provider), provider: options.provider };
  } catch (err) {
    warn(`the ${options.provider} execution provider failed to start, using cpu: ${(err as Error).message}`);
    return { session: await create('cpu'), provider: 'cpu' };
  }
}
