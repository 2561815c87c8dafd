"""POST /v1/chat/completions (OpenAI's chat API), once whole and once streamed; GET /v1/models.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 openai_chat.py

Standard library only (the `openai` package works too: base_url=ENDPOINT_URL + "/v1").
"""
import json
import os
import urllib.error
import urllib.request

BASE_URL = os.environ.get("ENDPOINT_URL", "http://127.0.0.1:5001").rstrip("/")
API_KEY = os.environ.get("API_KEY")


def call(path, body=None):
    headers = {"Content-Type": "application/json"}
    if API_KEY:
        headers["Authorization"] = f"Bearer {API_KEY}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE_URL}{path}", data=data, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=120)
    except urllib.error.HTTPError as err:
        raise SystemExit(f"{err.code}: {json.load(err)['error']['message']}")


def events(response):
    """The JSON values of an SSE stream, up to `data: [DONE]`."""
    for line in response:
        line = line.decode().strip()
        if not line.startswith("data:"):
            continue
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            return
        yield json.loads(data)


with call("/v1/models") as response:
    model = json.load(response)["data"][0]["id"]
print("model:   ", model)

body = {
    "model": model,
    "messages": [{"role": "user", "content": "Tell a dream."}],
    "max_tokens": 24,
    "temperature": 0.8,
}
with call("/v1/chat/completions", body) as response:
    reply = json.load(response)
print("whole:   ", reply["choices"][0]["message"]["content"])
print("finish:  ", reply["choices"][0]["finish_reason"])

print("streamed:", end=" ", flush=True)
with call("/v1/chat/completions", {**body, "stream": True}) as response:
    for chunk in events(response):
        for choice in chunk["choices"]:
            print(choice["delta"].get("content", ""), end="", flush=True)
print()
