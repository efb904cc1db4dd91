"""A small OpenAI-compatible server that answers with hand-written reference answers.

For recording cassettes and for tests only: it is not a model. It serves
`POST /v1/chat/completions` and answers, for an article of an eval suite, the gold
claims written by hand in `evals/suites/<suite>/gold/`, and for a cross-check pair the
hand-written verdict in `evals/suites/<suite>/adjudications.json`. Every answer is labelled
`"model": "reference"`. Token usage is counted as whitespace-separated words, not by a
tokenizer.

Fault scenarios, for recording how the pipeline copes with a failing server:
  --fault rate-limit-first     the first request gets 429 with Retry-After: 1
  --fault error-for:<id>       every request about article <id> (a prefix) gets 500
  --fault malformed-for:<id>   every answer about article <id> is not valid JSON
  --fault no-claims            every article is answered with an empty list of claims
  --fault reset-first          the first request's connection is closed without an answer
  --fault markup-error-first   the first request gets 500 whose message looks like markup
  --fault wrong-shape-for:<id> the answer about article <id> lacks the claims list
  --fault truncated-for:<id>   the answer about article <id> is cut off (finish_reason length)
  --fault truncated-first      the first answer is cut off; later ones are whole
  --fault no-choices-for:<id>  the answer about article <id> has an empty choices list
  --fault trickle              every answer is sent one byte every 50 ms

Run: python -m extractor.recording.reference_server --port 8099 [--fault ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from extractor.evals.suite import SuiteError, load_suite
from extractor.extraction.windows import GAP
from extractor.read import article_id
from extractor.resources import project_path

MODEL_NAME = "reference"
RESET = 0  # status of an answer that is a closed connection
_ARTICLE = re.compile(r"<article>\n(.*?)\n</article>", re.S)
_EXCERPTS = re.compile(r"<excerpts>\n(.*?)\n</excerpts>", re.S)
_PAIR = re.compile(r"<claim id=\"([^\"]+)\">")


def _suite_dirs() -> list[Path]:
    return sorted(p for p in project_path("evals/suites").iterdir() if (p / "gold").is_dir())


def load_references(texts: dict[str, str] | None = None) -> dict[str, dict]:
    """Reference extractions by article id: the gold claims of every eval suite, in the
    shape the model is asked to return. `texts`, when given, receives each article's text."""
    answers = {}
    for folder in _suite_dirs():
        try:
            suite = load_suite(folder)
        except SuiteError as exc:  # one suite being edited must not take the others down
            print(f"reference server: skipping suite {folder.name}: {exc}", file=sys.stderr)
            continue
        for item in suite.articles:
            answers[item.article.id] = {"claims": [claim.model_answer() for claim in item.gold.claims]}
            if texts is not None:
                texts[item.article.id] = item.article.text
    return answers


def load_adjudications() -> dict[tuple[str, str], dict]:
    """Hand-written verdicts (`adjudications.json` of a suite) by pair of claim ids."""
    verdicts = {}
    for folder in _suite_dirs():
        path = folder / "adjudications.json"
        if path.exists():
            data = json.loads(path.read_text("utf-8"))
            verdicts.update({tuple(sorted((v["claim_a"], v["claim_b"]))): v["verdict"] for v in data["verdicts"]})
    return verdicts


class ReferenceState:
    def __init__(self, faults: list[str]):
        self.texts: dict[str, str] = {}
        self.references = load_references(self.texts)
        self.adjudications = load_adjudications()
        self.faults = faults
        self.requests = 0
        self.lock = threading.Lock()


def _words(messages: list[dict]) -> int:
    return sum(len(str(m.get("content") or "").split()) for m in messages)


def _completion(request: dict, payload: dict) -> dict:
    arguments = json.dumps(payload, ensure_ascii=False)
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    if request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        digest = hashlib.sha256(arguments.encode()).hexdigest()[:24]
        message["tool_calls"] = [
            {"id": f"call_{digest}", "type": "function", "function": {"name": name, "arguments": arguments}}
        ]
        finish = "tool_calls"
    else:
        message["content"] = arguments
    prompt_words = _words(request.get("messages", []))
    answer_words = len(arguments.split())
    return {
        "id": "refcmpl-" + hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:24],
        "object": "chat.completion",
        "created": 0,
        "model": MODEL_NAME,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_words,
            "completion_tokens": answer_words,
            "total_tokens": prompt_words + answer_words,
        },
    }


def _cut_off(body: dict) -> dict:
    """The answer cut in half, as a server that ran out of output tokens sends it."""
    choice = body["choices"][0]
    message = choice["message"]
    for holder, field in [
        (message, "content"),
        *[(c["function"], "arguments") for c in message.get("tool_calls") or []],
    ]:
        if holder.get(field):
            holder[field] = holder[field][: len(holder[field]) // 2]
    choice["finish_reason"] = "length"
    return body


def _excerpted_article(state: ReferenceState, excerpts: str) -> str:
    """The id of the suite article the excerpts of a long article's window come from."""
    first = excerpts.split(GAP)[0]
    return next((key for key, text in state.texts.items() if first in text), "unknown")


def _within(reference: dict, excerpts: str) -> dict:
    """The reference claims a window holds: those whose every quote is in its excerpts."""
    claims = [c for c in reference["claims"] if all(e["quote"] in excerpts for e in c["evidence"])]
    return {"claims": claims}


def answer(state: ReferenceState, request: dict) -> tuple[int, dict, dict]:
    """(status, headers, body) for one chat completion request."""
    with state.lock:
        state.requests += 1
        number = state.requests
    if "rate-limit-first" in state.faults and number == 1:
        return (
            429,
            {"Retry-After": "1"},
            {"error": {"message": "Rate limit reached (reference fault scenario)", "type": "rate_limit"}},
        )
    if "reset-first" in state.faults and number == 1:
        return RESET, {}, {}
    if "markup-error-first" in state.faults and number == 1:
        message = "Internal error [/model] in [bold]backend[/] (reference fault scenario)"
        return 500, {}, {"error": {"message": message, "type": "server_error"}}
    messages = request.get("messages", [])
    first_user = next((m.get("content") or "" for m in messages if m.get("role") == "user"), "")
    found = _ARTICLE.search(first_user)
    excerpts = _EXCERPTS.search(first_user)
    if found or excerpts:
        key = article_id(found.group(1)) if found else _excerpted_article(state, excerpts.group(1))
        for fault in state.faults:
            kind, _, prefix = fault.partition(":")
            if prefix and key.startswith(prefix):
                if kind == "error-for":
                    return (
                        500,
                        {},
                        {"error": {"message": "Internal error (reference fault scenario)", "type": "server_error"}},
                    )
                if kind == "wrong-shape-for":
                    return (
                        200,
                        {},
                        _completion(request, {"truce_claims": state.references.get(key, {}).get("claims", [])}),
                    )
                if kind == "truncated-for":
                    return 200, {}, _cut_off(_completion(request, state.references.get(key, {"claims": []})))
                if kind == "no-choices-for":
                    body = _completion(request, {"claims": []})
                    body["choices"] = []
                    return 200, {}, body
                if kind == "malformed-for":
                    body = _completion(request, {})
                    broken = "{'claims': [this is not JSON"
                    choice = body["choices"][0]["message"]
                    if choice.get("tool_calls"):
                        choice["tool_calls"][0]["function"]["arguments"] = broken
                    else:
                        choice["content"] = broken
                    return 200, {}, body
        if "truncated-first" in state.faults and number == 1:
            return 200, {}, _cut_off(_completion(request, state.references.get(key, {"claims": []})))
        if "no-claims" in state.faults:
            return 200, {}, _completion(request, {"claims": []})
        if key not in state.references:
            return (
                404,
                {},
                {"error": {"message": f"The reference server has no answer for article {key}.", "type": "not_found"}},
            )
        if excerpts:
            return 200, {}, _completion(request, _within(state.references[key], excerpts.group(1)))
        return 200, {}, _completion(request, state.references[key])
    pair = _PAIR.findall(first_user)
    if len(pair) == 2:
        verdict = state.adjudications.get(tuple(sorted(pair)))
        if verdict is None:
            return 404, {}, {"error": {"message": f"No reference verdict for claims {pair}.", "type": "not_found"}}
        return 200, {}, _completion(request, verdict)
    return (
        400,
        {},
        {"error": {"message": "The reference server answers truce prompts only.", "type": "invalid_request"}},
    )


def make_server(port: int = 0, faults: list[str] | None = None, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    state = ReferenceState(faults or [])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._send(400, {}, {"error": {"message": "Body is not JSON."}})
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {}, {"error": {"message": f"No route {self.path}."}})
                return
            self._send(*answer(state, request))

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {}, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model"}]})
            else:
                self._send(404, {}, {"error": {"message": f"No route {self.path}."}})

        def _send(self, status: int, headers: dict, body: dict) -> None:
            if status == RESET:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if "trickle" not in state.faults:
                self.wfile.write(data)
                return
            try:
                for i in range(len(data)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                self.close_connection = True  # the client gave up

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(port: int = 0, faults: list[str] | None = None) -> tuple[ThreadingHTTPServer, str]:
    """Start a server on a background thread; returns it and its base URL."""
    server = make_server(port, faults)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--fault", action="append", default=[])
    args = parser.parse_args()
    server = make_server(args.port, args.fault)
    print(f"reference server on http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()
