/**
 * `llama-endpoint serve` in a child process on a free loopback port, for the benchmark script and the tests:
 * started, waited on until `GET /` says healthy, and stopped with SIGTERM as an orchestrator would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
/** The last part of the server's output is kept for error messages. */
const OUTPUT_KEPT = 16_384;

export interface SpawnedServer {
  url: URL;
  /** The server process, e.g. to read its resident memory. */
  pid: number | undefined;
  /** The tail of the server's stdout and stderr (pino JSON lines). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves to its exit code (null: killed). */
  stop(graceMs?: number): Promise<number | null>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function healthy(url: URL): Promise<boolean> {
  try {
    const response = await request(url, { signal: AbortSignal.timeout(2000) });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

/** Starts `serve` with `args` (model, workers, …) and resolves once every worker has loaded the model. */
export async function startServer(args: string[], readyTimeoutMs = 180_000): Promise<SpawnedServer> {
  const port = await freePort();
  const url = new URL(`http://127.0.0.1:${port}/`);
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'serve', '--host', '127.0.0.1', '--port', String(port), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const server: SpawnedServer = {
    url,
    pid: child.pid,
    output: () => output,
    async stop(graceMs = 30_000) {
      if (!hasExited) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await healthy(url))) {
    if (hasExited) throw new Error(`the server exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      await server.stop(5000);
      throw new Error(`the server was not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await delay(200);
  }
  return server;
}
