"""A fake OpenAI-compatible server for the throughput benchmark: every chat completion
is answered after a fixed latency with one claim that quotes the article's first
sentence. asyncio on one thread, so 64 calls in flight cost it almost nothing.

Not a model and not the reference server: it exists to measure the client.
Run: python benchmarks/fake_server.py --port 8097 --latency 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re

ARTICLE = re.compile(r"<article>\n(.*?)\n</article>", re.S)
SENTENCE = re.compile(r"[^.\n]{20,}?\.")


def answer_for(request: dict) -> dict:
    user = next((m.get("content") or "" for m in request.get("messages", []) if m.get("role") == "user"), "")
    found = ARTICLE.search(user)
    text = found.group(1) if found else ""
    sentence = SENTENCE.search(text)
    quote = sentence.group(0).strip() if sentence else text[:80]
    denied = "denied" in quote  # lets a benchmark plant conflicts: "... denied any ceasefire ..."
    claim = {
        "kind": "denial" if denied else "agreement",
        "summary": "The two sides denied a ceasefire." if denied else "The two sides agreed a ceasefire.",
        "parties": [{"name": "Northern Front", "role": "party"}, {"name": "Southern Command", "role": "party"}],
        "factuality": "negated" if denied else "asserted",
        "evidence": [{"quote": quote}],
    }
    content = json.dumps({"claims": [claim]})
    words = len(user.split())
    return {
        "id": "fake-1",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": words, "completion_tokens": 40, "total_tokens": words + 40},
    }


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            if lines[0].startswith("GET"):
                payload = {"object": "list", "data": [{"id": "fake", "object": "model"}]}
            else:
                await asyncio.sleep(latency)
                payload = answer_for(json.loads(body or b"{}"))
            data = json.dumps(payload).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(data)}\r\n\r\n".encode()
                + data
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(port: int, latency: float) -> None:
    server = await asyncio.start_server(lambda r, w: handle(r, w, latency), "127.0.0.1", port, backlog=1024)
    print(f"fake server on http://127.0.0.1:{port}/v1 (latency {latency} s)", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.latency))


if __name__ == "__main__":
    main()
