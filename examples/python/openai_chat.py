"""POST /v1/chat/completions (OpenAI's chat API), once whole and once streamed; GET /v1/models.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 openai_chat.py

Standard library only (endpoint.py beside this file); the `openai` package works too: base_url=ENDPOINT_URL + "/v1".
"""
from endpoint import call, call_json, events

model = call_json("/v1/models")["data"][0]["id"]
print("model:   ", model)

body = {
    "model": model,
    "messages": [{"role": "user", "content": "Tell a dream."}],
    "max_tokens": 24,
    "temperature": 0.8,
}
reply = call_json("/v1/chat/completions", body)
print("whole:   ", reply["choices"][0]["message"]["content"])
print("finish:  ", reply["choices"][0]["finish_reason"])

print("streamed:", end=" ", flush=True)
with call("/v1/chat/completions", {**body, "stream": True}) as response:
    for chunk in events(response):
        for choice in chunk["choices"]:
            print(choice["delta"].get("content", ""), end="", flush=True)
print()
