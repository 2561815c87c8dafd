// What the k6 scripts share: the scenario (scenario.json), the request bodies (requests.json), the target and
// the Bearer key from the environment, and k6 options for a ramping arrival rate with the scenario's thresholds.

/** One scenario of scenario.json with its request bodies and k6 options; `thresholds` adds to the common ones. */
export function loadScenario(name, thresholds) {
  // Resolved from this module, whatever the working directory of `k6 run`.
  const scenario = JSON.parse(open(import.meta.resolve('./scenario.json')))[name];
  const requests = JSON.parse(open(import.meta.resolve('./requests.json')))[name];
  const headers = { 'Content-Type': 'application/json' };
  if (__ENV.API_KEY) headers.Authorization = `Bearer ${__ENV.API_KEY}`;
  const options = {
    scenarios: {
      [name]: {
        executor: 'ramping-arrival-rate',
        startRate: scenario.startRate,
        timeUnit: '1s',
        preAllocatedVUs: scenario.preAllocatedVUs,
        maxVUs: scenario.maxVUs,
        stages: scenario.stages.map((stage) => ({ duration: `${stage.seconds}s`, target: stage.target })),
      },
    },
    thresholds: {
      http_req_failed: [`rate<${scenario.maxErrorRate}`],
      http_req_duration: [`p(95)<${scenario.p95LatencyMs}`],
      checks: ['rate>0.99'],
      ...thresholds(scenario),
    },
  };
  return { baseUrl: __ENV.BASE_URL || 'http://127.0.0.1:5001', headers, options, requests };
}
