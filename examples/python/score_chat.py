"""POST /score, form 3: one chat conversation. The answer is {"output": "<the assistant's reply>"}.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 score_chat.py

Standard library only (endpoint.py beside this file). System is optional and first; then user and assistant
alternate, ending with user.
"""
from endpoint import call_json

answer = call_json(
    "/score",
    {
        "input_data": {
            "input_string": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Tell a dream."},
            ],
            "parameters": {"temperature": 0.8, "top_p": 0.95, "max_new_tokens": 24, "do_sample": True},
        }
    },
)
print(answer["output"])
