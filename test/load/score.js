// k6 load test of Azure's POST /score, the three request forms in turn, at a ramping arrival rate:
//   k6 run -e BASE_URL=https://HOST -e API_KEY=KEY test/load/score.js
// Scenario and thresholds: scenario.json (`npm run load -- --url URL` replays it with `llama-endpoint bench`).

import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';

const scenario = JSON.parse(open('./scenario.json')).score;
const requests = JSON.parse(open('./requests.json')).score;
const baseUrl = __ENV.BASE_URL || 'http://127.0.0.1:5001';
const headers = { 'Content-Type': 'application/json' };
if (__ENV.API_KEY) headers.Authorization = `Bearer ${__ENV.API_KEY}`;

export const options = {
  scenarios: {
    score: {
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
  },
};

/** What each form answers (README, POST /score). */
const shapes = {
  input_string: (answer, body) =>
    Array.isArray(answer) &&
    answer.length === 1 &&
    body.input_data.input_string.every((_, i) => typeof answer[0][String(i)] === 'string'),
  list: (answer, body) =>
    Array.isArray(answer) &&
    answer.length === body.input_data.length &&
    answer.every((text) => typeof text === 'string'),
  chat: (answer) => typeof answer.output === 'string' && Object.keys(answer).length === 1,
};

export default function () {
  const { form, body } = requests[exec.scenario.iterationInTest % requests.length];
  const response = http.post(`${baseUrl}/score`, JSON.stringify(body), { headers, tags: { form } });
  check(response, {
    'status is 200': (r) => r.status === 200,
    "the answer has its form's shape": (r) => r.status === 200 && shapes[form](r.json(), body),
  });
}
