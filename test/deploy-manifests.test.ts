/**
 * The deployment files (deploy/, docker/, test/load/) against the server's own definitions: its port, routes,
 * flags, environment variables, timeouts and metric names are imported from src, never restated here, so a
 * rename in the server fails this test instead of a deployment.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { chatCompletionRequestSchema } from '../schemas/openai-chat-request.js';
import { completionRequestSchema } from '../schemas/openai-completion-request.js';
import { scoreRequestSchema } from '../schemas/score-request.js';
import { ROUTE_PATHS } from '../src/bench/generation-request.js';
import { AZUREML_MODEL_DIR } from '../src/cli/azureml-model-dir.js';
import {
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  SERVE_ENV,
  SERVE_FLAGS,
} from '../src/cli/commands/serve.js';
import { buildServer, DEFAULT_SERVER_OPTIONS } from '../src/server/build-server.js';
import { ServerMetrics } from '../src/server/http/metrics.js';
import { HEALTH_ROUTES } from '../src/server/routes/health.js';
import { REPO_ROOT } from './helpers/paths.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, read field by field
type Doc = Record<string, any>;

const path = (...parts: string[]) => join(REPO_ROOT, ...parts);
const text = (...parts: string[]) => readFileSync(path(...parts), 'utf8');
const yamlDocs = (...parts: string[]): Doc[] =>
  parseAllDocuments(text(...parts)).map((doc) => {
    assert.deepEqual(doc.errors, [], join(...parts));
    return doc.toJS() as Doc;
  });
const filesUnder = (dir: string, ext: RegExp): string[] =>
  readdirSync(path(dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => ext.test(file))
    .map((file) => join(dir, file));

/** Every variable `serve` reads, and the one Azure ML sets. */
const SERVER_ENV = new Set<string>([...Object.values(SERVE_ENV), AZUREML_MODEL_DIR]);
const FLAGS = new Set(Object.keys(SERVE_FLAGS).map((name) => `--${name}`));
const envValue = (env: { name: string; value?: string }[], key: keyof typeof SERVE_ENV) =>
  env.find((entry) => entry.name === SERVE_ENV[key])?.value;

/** The real app's route table (no model: routes only). */
const app = buildServer({ ...DEFAULT_SERVER_OPTIONS });
await app.ready();
const hasRoute = (method: 'GET' | 'POST', url: string) => app.hasRoute({ method, url });
const METRICS_ROUTE = '/metrics';
assert.ok(hasRoute('GET', METRICS_ROUTE));

/** Series names the server exports: histograms as their _bucket/_sum/_count series. */
const metrics = new ServerMetrics();
metrics.watch({ inFlight: () => 0, running: () => 0, waiting: () => 0 });
const families = await metrics.registry.getMetricsAsJSON();
const familyType = new Map(families.map((family) => [family.name, String(family.type)]));
const seriesNames = new Set(
  families.flatMap((family) =>
    String(family.type) === 'histogram'
      ? ['_bucket', '_sum', '_count'].map((suffix) => family.name + suffix)
      : [family.name],
  ),
);
const metricNamesIn = (expr: string) => expr.match(/\bllama_endpoint_\w+/g) ?? [];

test('every manifest parses as YAML or JSON', () => {
  const files = filesUnder('deploy', /\.ya?ml$/);
  assert.ok(files.length >= 12, files.join(', '));
  for (const file of files) assert.ok(yamlDocs(file).length > 0, file);
  for (const file of filesUnder('deploy', /\.json$/)) JSON.parse(text(file));
});

test('Kubernetes: port, probes, env, flags, scrape annotations, grace period, PDB, HPA on a queue gauge', () => {
  const docs = filesUnder('deploy/k8s', /\.ya?ml$/).flatMap((file) => yamlDocs(file));
  const byKind = (kind: string) => docs.filter((doc) => doc.kind === kind);
  const [deployment] = byKind('Deployment').filter((doc) => doc.spec?.selector);
  assert.ok(deployment);
  const pod = deployment.spec.template.spec;
  const [container] = pod.containers;
  const namedPorts = new Map<string, number>(
    container.ports.map((port: Doc) => [port.name, port.containerPort]),
  );
  assert.deepEqual([...namedPorts.values()], [DEFAULT_PORT]);
  assert.equal(container.livenessProbe.httpGet.path, HEALTH_ROUTES.live);
  assert.equal(container.readinessProbe.httpGet.path, HEALTH_ROUTES.ready);
  for (const probe of [container.livenessProbe, container.readinessProbe]) {
    assert.equal(namedPorts.get(probe.httpGet.port), DEFAULT_PORT);
  }
  for (const { name } of container.env) assert.ok(SERVER_ENV.has(name), `unknown env ${name}`);
  for (const arg of container.args.filter((a: string) => a.startsWith('--'))) assert.ok(FLAGS.has(arg), arg);

  const annotations = deployment.spec.template.metadata.annotations;
  assert.equal(Number(annotations['prometheus.io/port']), DEFAULT_PORT);
  assert.equal(annotations['prometheus.io/path'], METRICS_ROUTE);

  const shutdownS =
    Number(envValue(container.env, 'shutdown-timeout-ms') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS) / 1000;
  const preStopS = Number(container.lifecycle.preStop.exec.command.at(-1));
  assert.ok(pod.terminationGracePeriodSeconds > preStopS + shutdownS, 'grace period covers preStop + drain');
  assert.ok(pod.securityContext.runAsNonRoot && pod.securityContext.runAsUser > 0);

  const labels = deployment.spec.template.metadata.labels;
  const [service] = byKind('Service');
  assert.deepEqual(service.spec.selector, labels);
  assert.equal(namedPorts.get(service.spec.ports[0].targetPort), DEFAULT_PORT);
  assert.deepEqual(byKind('PodDisruptionBudget')[0].spec.selector.matchLabels, labels);
  const [monitor] = byKind('ServiceMonitor');
  assert.equal(monitor.spec.endpoints[0].path, METRICS_ROUTE);
  assert.deepEqual(monitor.spec.selector.matchLabels, service.metadata.labels);

  const [hpa] = byKind('HorizontalPodAutoscaler');
  assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
  const queueMetric = hpa.spec.metrics[0].pods.metric.name;
  assert.equal(familyType.get(queueMetric), 'gauge', `${queueMetric} is a gauge the server exports`);
  const adapter = parseYaml(text('deploy/k8s/prometheus-adapter-rules.yaml')) as Doc;
  assert.equal(adapter.rules[0].name.matches, queueMetric);
  for (const rule of adapter.rules) {
    for (const name of metricNamesIn(rule.seriesQuery + rule.metricsQuery))
      assert.ok(seriesNames.has(name), name);
  }

  const kustomization = yamlDocs('deploy/k8s/kustomization.yaml')[0]!;
  for (const resource of kustomization.resources) assert.doesNotThrow(() => text('deploy/k8s', resource));
  const gpu = yamlDocs('deploy/k8s/gpu/deployment-patch.yaml')[0]!;
  const [gpuContainer] = gpu.spec.template.spec.containers;
  assert.equal(gpuContainer.name, container.name, 'the patch targets the container by name');
  for (const { name } of gpuContainer.env) assert.ok(SERVER_ENV.has(name), `unknown env ${name}`);
  const gpus = Number(gpuContainer.resources.limits['nvidia.com/gpu']);
  assert.ok(gpus >= 1 && Number(envValue(gpuContainer.env, 'workers')) === gpus, 'one worker per GPU');
});

test('Azure ML: routes and port of the environment, env names, request_settings matched to admission and timeouts', () => {
  const environment = yamlDocs('deploy/azureml/environment.yml')[0]!;
  const routes = environment.inference_config;
  assert.equal(routes.liveness_route.path, HEALTH_ROUTES.live);
  assert.equal(routes.readiness_route.path, HEALTH_ROUTES.azure);
  assert.ok(hasRoute('POST', routes.scoring_route.path));
  for (const route of Object.values(routes) as Doc[]) assert.equal(route.port, DEFAULT_PORT);

  const deployment = yamlDocs('deploy/azureml/deployment.yml')[0]!;
  const env = deployment.environment_variables as Record<string, string>;
  for (const name of Object.keys(env)) assert.ok(SERVER_ENV.has(name), `unknown env ${name}`);
  const settings = deployment.request_settings;
  assert.equal(
    settings.max_concurrent_requests_per_instance,
    Number(env[SERVE_ENV['max-concurrent-requests']]),
  );
  const requestTimeoutMs = Number(env[SERVE_ENV['request-timeout-ms']]);
  assert.ok(settings.request_timeout_ms > requestTimeoutMs, 'the server times out first (408), then Azure');
  assert.ok(settings.request_timeout_ms <= 180_000, "Azure's maximum");
  const readiness = deployment.readiness_probe;
  assert.ok(
    readiness.failure_threshold * readiness.period >= 600,
    'readiness waits 10 minutes for a 13B load',
  );
  assert.equal(deployment.endpoint_name, yamlDocs('deploy/azureml/endpoint.yml')[0]!.name);
  assert.equal(deployment.environment.split(':')[1], environment.name);
});

test('Dockerfiles and compose: port, env names, healthcheck route, model mount, stop grace period, scrape target', () => {
  const dockerfiles = ['docker/Dockerfile', 'docker/Dockerfile.cuda'].map((file) => text(file));
  const imageModelDir = new Set<string>();
  for (const dockerfile of dockerfiles) {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, new RegExp(`\\nEXPOSE ${DEFAULT_PORT}\\n`));
    assert.match(runtime, /\nUSER [1-9]\d*:\d+\n/, 'a numeric non-root user');
    assert.match(runtime, /\nENTRYPOINT \["node", /, 'exec form');
    assert.ok(runtime.includes(`${HEALTH_ROUTES.live}'`), 'HEALTHCHECK on the liveness route');
    for (const [, name, value] of runtime.matchAll(/ ([A-Z_]+)=(\S+)/g)) {
      if (name !== 'NODE_ENV') assert.ok(SERVER_ENV.has(name!), `unknown env ${name}`);
      if (name === SERVE_ENV.port) assert.equal(Number(value), DEFAULT_PORT);
      if (name === AZUREML_MODEL_DIR) imageModelDir.add(value!);
    }
  }
  assert.equal(imageModelDir.size, 1, 'both images read the model from the same place');

  const compose = yamlDocs('deploy/compose.yaml')[0]!;
  const server = compose.services['llama-endpoint'];
  assert.equal(Number(server.ports[0].split(':').at(-1)), DEFAULT_PORT);
  assert.ok(
    server.ports.every((port: string) => port.startsWith('127.0.0.1:')),
    'loopback only',
  );
  assert.equal(server.volumes[0].target, [...imageModelDir][0]);
  assert.equal(server.volumes[0].read_only, true);
  for (const arg of server.command.filter((a: string) => a.startsWith('--'))) assert.ok(FLAGS.has(arg), arg);
  assert.ok(Number.parseInt(server.stop_grace_period, 10) > DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000);
  const prometheus = yamlDocs('deploy/prometheus/prometheus.yml')[0]!;
  const [job] = prometheus.scrape_configs;
  assert.equal(job.metrics_path, METRICS_ROUTE);
  assert.equal(job.static_configs[0].targets[0], `llama-endpoint:${DEFAULT_PORT}`);
});

const dashboard = JSON.parse(text('deploy/grafana/dashboards/llama-endpoint.json')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));

test('the Grafana dashboard queries only series the server exports, and shows every metric family', () => {
  const used = new Set(expressions.flatMap(metricNamesIn));
  for (const name of used) assert.ok(seriesNames.has(name), `${name} is not exported by the server`);
  for (const { name } of families) {
    assert.ok(
      [...used].some((series) => series.startsWith(name)),
      `${name} is on no panel`,
    );
  }
  const datasource = yamlDocs('deploy/grafana/provisioning/datasources/prometheus.yaml')[0]!;
  assert.equal(datasource.datasources[0].uid, 'prometheus');
});

const promtool = spawnSync('promtool', ['--version']).status === 0;
test('the dashboard queries are valid PromQL (promtool check rules)', {
  skip: promtool ? false : 'promtool not installed (apt-get install prometheus)',
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dashboard-rules-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rules = expressions.map((expr, i) => ({
    record: `dashboard:query_${i}`,
    // Grafana fills $__rate_interval; any valid range does for a syntax check.
    expr: expr.replaceAll('$__rate_interval', '1m'),
  }));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
  const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr + result.stdout);
  assert.match(result.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('the k6 scripts: request bodies pass the zod schemas, on routes the server has; the scenario replays in bench', () => {
  const requests = JSON.parse(text('test/load/requests.json')) as {
    score: { form: string; body: unknown }[];
    stream: { form: string; path: string; body: unknown }[];
  };
  assert.deepEqual(
    requests.score.map((r) => r.form),
    ['input_string', 'list', 'chat'],
  );
  for (const { form, body } of requests.score) {
    const parsed = scoreRequestSchema.safeParse(body);
    assert.ok(parsed.success, `${form}: ${parsed.error?.message}`);
  }
  const streamSchemas: Record<string, typeof completionRequestSchema | typeof chatCompletionRequestSchema> = {
    completions: completionRequestSchema,
    chat: chatCompletionRequestSchema,
  };
  for (const { form, path: route, body } of requests.stream) {
    assert.ok(hasRoute('POST', route), route);
    const parsed = streamSchemas[form]!.safeParse(body);
    assert.ok(parsed.success, `${form}: ${parsed.error?.message}`);
    assert.equal((parsed.data as { stream?: boolean }).stream, true);
  }
  for (const script of filesUnder('test/load', /\.js$/)) {
    for (const [, route] of text(script).matchAll(/\$\{baseUrl\}(\/[\w/]+)/g)) {
      assert.ok(hasRoute('POST', route!), `${relative('test/load', script)}: ${route}`);
    }
  }
  assert.match(text('test/load/common.js'), /Bearer \$\{__ENV\.API_KEY\}/);
  const scenarios = JSON.parse(text('test/load/scenario.json')) as Record<string, { route: string }>;
  for (const scenario of Object.values(scenarios)) assert.ok(scenario.route in ROUTE_PATHS, scenario.route);
});
