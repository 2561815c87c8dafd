"""POST /score, form 2: a bare list of prompts plus "params". The answer is a bare list of texts.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 score_list.py

Standard library only.
"""
import json
import os
import urllib.error
import urllib.request

BASE_URL = os.environ.get("ENDPOINT_URL", "http://127.0.0.1:5001").rstrip("/").removesuffix("/score")
API_KEY = os.environ.get("API_KEY")


def score(body):
    headers = {"Content-Type": "application/json"}
    if API_KEY:
        headers["Authorization"] = f"Bearer {API_KEY}"
    request = urllib.request.Request(
        f"{BASE_URL}/score", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        raise SystemExit(f"{err.code}: {json.load(err)['error']['message']}")


texts = score(
    {
        "input_data": ["The machine", "A dream of"],
        # Greedy, the continuation only, cut before the first full stop.
        "params": {"do_sample": False, "max_new_tokens": 40, "return_full_text": False, "stop": ["."]},
    }
)
for text in texts:
    print(text)
