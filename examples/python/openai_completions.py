"""POST /v1/completions (OpenAI's completions API): once whole, once streamed as Server-Sent Events.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 openai_completions.py

Standard library only (the `openai` package works too: base_url=ENDPOINT_URL + "/v1").
"""
import json
import os
import urllib.error
import urllib.request

BASE_URL = os.environ.get("ENDPOINT_URL", "http://127.0.0.1:5001").rstrip("/")
API_KEY = os.environ.get("API_KEY")


def post(path, body):
    headers = {"Content-Type": "application/json"}
    if API_KEY:
        headers["Authorization"] = f"Bearer {API_KEY}"
    request = urllib.request.Request(f"{BASE_URL}{path}", data=json.dumps(body).encode(), headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=120)
    except urllib.error.HTTPError as err:
        # OpenAI's error shape: {"error": {"message", "type", "param", "code"}}.
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


body = {"prompt": "The machine", "max_tokens": 32, "temperature": 0.7, "top_p": 0.9}

with post("/v1/completions", body) as response:
    completion = json.load(response)
print("whole:   ", completion["choices"][0]["text"])
print("usage:   ", completion["usage"])

print("streamed:", end=" ", flush=True)
with post("/v1/completions", {**body, "stream": True, "stream_options": {"include_usage": True}}) as response:
    for chunk in events(response):
        for choice in chunk["choices"]:
            print(choice["text"], end="", flush=True)
        if chunk.get("usage"):
            print("\nusage:   ", chunk["usage"])
