"""POST /v1/completions (OpenAI's completions API): once whole, once streamed as Server-Sent Events.

    ENDPOINT_URL=http://127.0.0.1:5001 API_KEY=... python3 openai_completions.py

Standard library only (endpoint.py beside this file); the `openai` package works too: base_url=ENDPOINT_URL + "/v1".
"""
from endpoint import call, call_json, events

body = {"prompt": "The machine", "max_tokens": 32, "temperature": 0.7, "top_p": 0.9}

completion = call_json("/v1/completions", body)
print("whole:   ", completion["choices"][0]["text"])
print("usage:   ", completion["usage"])

print("streamed:", end=" ", flush=True)
with call("/v1/completions", {**body, "stream": True, "stream_options": {"include_usage": True}}) as response:
    for chunk in events(response):
        for choice in chunk["choices"]:
            print(choice["text"], end="", flush=True)
        if chunk.get("usage"):
            print("\nusage:   ", chunk["usage"])
