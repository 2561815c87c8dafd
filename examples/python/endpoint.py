"""The few lines every example shares: where the endpoint is, its key, a JSON call, and an SSE reader.

Standard library only. ENDPOINT_URL (default http://127.0.0.1:5001) may be the server or an Azure scoring
URI ending in /score; API_KEY is sent as a Bearer key when set.
"""
import json
import os
import urllib.error
import urllib.request

BASE_URL = os.environ.get("ENDPOINT_URL", "http://127.0.0.1:5001").rstrip("/").removesuffix("/score")
API_KEY = os.environ.get("API_KEY")


def call(path, body=None):
    """GET (no body) or POST a JSON body; the open response, or exit with the server's error message."""
    headers = {"Content-Type": "application/json"}
    if API_KEY:
        headers["Authorization"] = f"Bearer {API_KEY}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE_URL}{path}", data=data, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=120)
    except urllib.error.HTTPError as err:
        # Both envelopes carry error.message: {"error": {"code", "message", ...}} (Azure's) and OpenAI's.
        raise SystemExit(f"{err.code}: {json.load(err)['error']['message']}")


def call_json(path, body=None):
    with call(path, body) as response:
        return json.load(response)


def events(response):
    """The JSON values of a Server-Sent Events stream, up to `data: [DONE]`."""
    for line in response:
        line = line.decode().strip()
        if not line.startswith("data:"):
            continue
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            return
        yield json.loads(data)
