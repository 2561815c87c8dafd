"""POST /score, form 1: "input_string" prompts. The answer is ONE record keyed by prompt index.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 score_input_string.py

Standard library only. ENDPOINT_URL may be the server or an Azure scoring URI ending in /score.
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
        # Errors are {"error": {"code", "message", "details"}}: the message names the field.
        raise SystemExit(f"{err.code}: {json.load(err)['error']['message']}")


prompts = ["The machine", "In the garden of forgotten code"]
answer = score(
    {
        "input_data": {
            "input_string": prompts,
            # None means "not given", as the server reads null; max_length counts the prompt too.
            "parameters": {"temperature": 0.7, "top_p": 0.9, "do_sample": True, "max_length": 48, "seed": None},
        }
    }
)
record = answer[0]
for index, prompt in enumerate(prompts):
    # return_full_text defaults to true: each text starts with its prompt.
    print(f"[{index}] {record[str(index)]}")
