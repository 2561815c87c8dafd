/**
 * The Grafana dashboard's queries run by a real Prometheus that scrapes a real server: each must evaluate, and
 * may come back empty only when a metric it reads is declared but has no sample yet (a labelled counter
 * nothing has counted).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { tinyRandomModel } from './helpers/models.js';
import { REPO_ROOT } from './helpers/paths.js';
import { postJson, startServer } from './helpers/server.js';

const installed = spawnSync('prometheus', ['--version']).status === 0;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

interface QueryResult {
  status: string;
  data?: { result: unknown[] };
  error?: string;
}

test('every dashboard query evaluates in Prometheus against the metrics the server exports', {
  skip: installed ? false : 'prometheus not installed (apt-get install prometheus)',
}, async (t) => {
  const server = await startServer({ modelDir: await tinyRandomModel() });
  t.after(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'dashboard-prometheus-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'prometheus.yml');
  const target = new URL(server.url).host;
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '1s' },
      scrape_configs: [{ job_name: 'llama-endpoint', static_configs: [{ targets: [target] }] }],
    }),
  );
  const address = `127.0.0.1:${await freePort()}`;
  const prometheus = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${address}`,
    ],
    { stdio: 'ignore' },
  );
  t.after(() => prometheus.kill());
  const query = async (expr: string): Promise<QueryResult> => {
    const response = await fetch(`http://${address}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as QueryResult;
  };

  // Traffic for every panel: generations (tokens, TTFT, inter-token, batches) and an error status.
  const body = { input_data: ['Once upon a time'], params: { max_new_tokens: 8 } };
  for (let i = 0; i < 4; i++) assert.equal((await postJson(`${server.url}/score`, body)).status, 200);
  assert.equal((await postJson(`${server.url}/score`, { input_data: [] })).status, 400);
  // rate() needs two samples after the traffic.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const scrapes = await query('count_over_time(llama_endpoint_generation_tokens_total[1m])').catch(
      () => undefined,
    );
    const count = Number(
      (scrapes?.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0,
    );
    if (count >= 3) break;
    assert.ok(Date.now() < deadline, 'Prometheus scraped the server within a minute');
    await delay(250);
  }

  const exported = await (await fetch(`${server.url}/metrics`)).text();
  const hasSample = (name: string) => exported.split('\n').some((line) => line.startsWith(name));
  const dashboard = JSON.parse(
    readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'dashboards', 'llama-endpoint.json'), 'utf8'),
  ) as { panels: { title: string; targets: { expr: string }[] }[] };
  for (const panel of dashboard.panels) {
    for (const { expr } of panel.targets) {
      // Grafana fills $__rate_interval (at least four scrape intervals); 1m covers this run.
      const result = await query(expr.replaceAll('$__rate_interval', '1m'));
      assert.equal(result.status, 'success', `${panel.title}: ${expr}: ${result.error}`);
      if (result.data!.result.length === 0) {
        const unsampled = (expr.match(/\bllama_endpoint_\w+/g) ?? []).filter(
          (name) => exported.includes(`# HELP ${name} `) && !hasSample(name),
        );
        assert.ok(unsampled.length > 0, `${panel.title}: ${expr} returned nothing`);
      }
    }
  }
});
