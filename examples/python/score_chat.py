"""POST /score, form 3: one chat conversation. The answer is {"output": "<the assistant's reply>"}.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 score_chat.py

Standard library only. System is optional and first; then user and assistant alternate, ending with user.
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


answer = score(
    {
        "input_data": {
            "input_string": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Tell a dream."},
            ],
            "parameters": {"temperature": 0.8, "top_p": 0.95, "max_new_tokens": 24, "do_sample": True},
        }
    }
)
print(answer["output"])
