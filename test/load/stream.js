// k6 load test of the streaming OpenAI routes (Server-Sent Events), at a ramping arrival rate:
//   k6 run -e BASE_URL=http://HOST:5001 -e API_KEY=KEY test/load/stream.js
// k6 reads a stream whole; its time to first byte (http_req_waiting) is the time to the first event: the first
// token on /v1/completions, the role chunk on chat. `npm run load -- --url URL --scenario stream` replays it.

import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { loadScenario } from './common.js';

// k6's time to first byte of a stream is the time to its first event.
const {
  baseUrl,
  headers,
  options: scenarioOptions,
  requests,
} = loadScenario('stream', (scenario) => ({
  http_req_waiting: [`p(95)<${scenario.p95FirstTokenMs}`],
}));
export const options = scenarioOptions;

/** The data: payloads of an event stream, in order. */
const events = (text) =>
  text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));

export default function () {
  const { form, path, body } = requests[exec.scenario.iterationInTest % requests.length];
  const response = http.post(`${baseUrl}${path}`, JSON.stringify(body), { headers, tags: { form } });
  const data = response.status === 200 ? events(response.body) : [];
  check(response, {
    'status is 200': (r) => r.status === 200,
    'an event stream': (r) => String(r.headers['Content-Type']).startsWith('text/event-stream'),
    'ends with [DONE], no error event': () =>
      data.at(-1) === '[DONE]' && data.slice(0, -1).every((event) => !('error' in JSON.parse(event))),
  });
}
