// The playground: a prompt or a chat sent to the server's public OpenAI routes with stream: true, the answer
// shown as it streams, with time to first token and tokens/s measured here, in the browser.

const $ = (id) => document.getElementById(id);
const form = $('form');
const transcript = $('transcript');
/** The chat so far ({role, content} as OpenAI takes them); completion mode keeps no history. */
let messages = [];
let running;

function authHeaders() {
  const key = $('api_key').value.trim();
  return key ? { authorization: `Bearer ${key}` } : {};
}

function showMode() {
  const chat = $('mode').value === 'chat';
  for (const element of document.querySelectorAll('.chat-only')) element.hidden = !chat;
  $('prompt-label').textContent = chat ? 'Your message' : 'Prompt';
}

function addTurn(kind, role, text) {
  const turn = document.createElement('div');
  turn.className = `turn ${kind}`;
  const label = document.createElement('span');
  label.className = 'role';
  label.textContent = role;
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  turn.append(label, body);
  transcript.append(turn);
  return body;
}

/** The served model's id from GET /v1/models (also a check of the key). */
async function showModel() {
  try {
    const response = await fetch('v1/models', { headers: authHeaders() });
    const body = await response.json();
    $('model').textContent = response.ok ? body.data.map((m) => m.id).join(', ') : body.error.message;
  } catch (err) {
    $('model').textContent = String(err);
  }
}

function number(id) {
  const value = Number($(id).value);
  if ($(id).value === '' || !Number.isFinite(value)) throw new Error(`${id} must be a number`);
  return value;
}

function request(chat, text) {
  const body = {
    temperature: number('temperature'),
    top_p: number('top_p'),
    max_tokens: number('max_tokens'),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (!chat) return { path: 'v1/completions', body: { ...body, prompt: text } };
  const system = $('system').value.trim();
  const history = system && messages.length === 0 ? [{ role: 'system', content: system }] : [];
  messages = [...messages, ...history, { role: 'user', content: text }];
  return { path: 'v1/chat/completions', body: { ...body, messages } };
}

/** The JSON values of a Server-Sent Events stream, up to `data: [DONE]`. */
async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const data = buffer
        .slice(0, end)
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      buffer = buffer.slice(end + 2);
      if (data === '[DONE]') return;
      if (data) yield JSON.parse(data);
      end = buffer.indexOf('\n\n');
    }
  }
}

/**
 * TTFT: sent to the first text. tokens/s: the tokens after the first over the time since it (the decode
 * rate, as load tests quote it); with one token, tokens over the whole time.
 */
function showFigures(figures) {
  const { started, firstAt, lastAt, tokens } = figures;
  $('ttft').textContent = firstAt === undefined ? '–' : `${(firstAt - started).toFixed(0)} ms`;
  $('tokens').textContent = String(tokens);
  $('total').textContent = `${((lastAt - started) / 1000).toFixed(2)} s`;
  const rate =
    tokens > 1 && lastAt > firstAt
      ? (tokens - 1) / ((lastAt - firstAt) / 1000)
      : tokens / ((lastAt - started) / 1000);
  $('tps').textContent = Number.isFinite(rate) && tokens > 0 ? rate.toFixed(1) : '–';
}

async function send(event) {
  event.preventDefault();
  const chat = $('mode').value === 'chat';
  const text = $('prompt').value;
  $('error').textContent = '';
  let call;
  try {
    call = request(chat, text);
  } catch (err) {
    $('error').textContent = err.message;
    return;
  }
  if (!chat) transcript.replaceChildren();
  addTurn('prompt', chat ? 'user' : 'prompt', text);
  const answer = addTurn('answer', chat ? 'assistant' : 'completion', '');
  running = new AbortController();
  $('send').disabled = true;
  $('stop').disabled = false;
  const figures = { started: performance.now(), firstAt: undefined, lastAt: performance.now(), tokens: 0 };
  try {
    const response = await fetch(call.path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders() },
      body: JSON.stringify(call.body),
      signal: running.signal,
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(`${response.status}: ${body.error?.message ?? response.statusText}`);
    }
    for await (const chunk of events(response)) {
      if (chunk.error) throw new Error(chunk.error.message);
      const piece = chunk.choices?.[0]?.[chat ? 'delta' : 'text'];
      const delta = chat ? piece?.content : piece;
      figures.lastAt = performance.now();
      if (delta) {
        figures.firstAt ??= figures.lastAt;
        figures.tokens++;
        answer.textContent += delta;
      }
      if (chunk.usage) figures.tokens = chunk.usage.completion_tokens;
      showFigures(figures);
    }
    if (chat) messages = [...messages, { role: 'assistant', content: answer.textContent }];
  } catch (err) {
    // A chat turn without its answer cannot be sent again: the next message would break the alternation.
    if (chat) messages = messages.slice(0, -1);
    $('error').textContent = err.name === 'AbortError' ? 'stopped' : err.message;
  } finally {
    running = undefined;
    $('send').disabled = false;
    $('stop').disabled = true;
  }
}

$('mode').addEventListener('change', () => {
  showMode();
  messages = [];
  transcript.replaceChildren();
});
$('api_key').addEventListener('change', showModel);
$('stop').addEventListener('click', () => running?.abort());
$('clear').addEventListener('click', () => {
  messages = [];
  transcript.replaceChildren();
  $('error').textContent = '';
});
form.addEventListener('submit', send);
showMode();
showModel();
