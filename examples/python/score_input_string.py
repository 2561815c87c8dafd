"""POST /score, form 1: "input_string" prompts. The answer is ONE record keyed by prompt index.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 score_input_string.py

Standard library only (endpoint.py beside this file). ENDPOINT_URL may be an Azure scoring URI ending in /score.
"""
from endpoint import call_json

prompts = ["The machine", "In the garden of forgotten code"]
answer = call_json(
    "/score",
    {
        "input_data": {
            "input_string": prompts,
            # None means "not given", as the server reads null; max_length counts the prompt too.
            "parameters": {"temperature": 0.7, "top_p": 0.9, "do_sample": True, "max_length": 48, "seed": None},
        }
    },
)
record = answer[0]
for index, prompt in enumerate(prompts):
    # return_full_text defaults to true: each text starts with its prompt.
    print(f"[{index}] {record[str(index)]}")
