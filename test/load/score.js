// k6 load test of Azure's POST /score, the three request forms in turn, at a ramping arrival rate:
//   k6 run -e BASE_URL=https://HOST -e API_KEY=KEY test/load/score.js
// Scenario and thresholds: scenario.json (`npm run load -- --url URL` replays it with `llama-endpoint bench`).

import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { loadScenario } from './common.js';

const { baseUrl, headers, options: scenarioOptions, requests } = loadScenario('score', () => ({}));
export const options = scenarioOptions;

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
