"""POST /score, form 2: a bare list of prompts plus "params". The answer is a bare list of texts.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 score_list.py

Standard library only (endpoint.py beside this file).
"""
from endpoint import call_json

texts = call_json(
    "/score",
    {
        "input_data": ["The machine", "A dream of"],
        # Greedy, the continuation only, cut before the first full stop.
        "params": {"do_sample": False, "max_new_tokens": 40, "return_full_text": False, "stop": ["."]},
    },
)
for text in texts:
    print(text)
