"""The line formats of a batch: what `truce batch prepare` writes and what the OpenAI
Batch API and `vllm run-batch` answer.

Input line:  {"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}
Output line: {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}
(a request that failed without an HTTP answer has `response` null, or a body of null,
and `error` set). The openai SDK has no types for these lines, hence the models here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from extractor.errors import TruceError

CHAT_COMPLETIONS = "/v1/chat/completions"


class BatchFileError(TruceError):
    """A batch file cannot be read or written at all."""


class BatchRequestLine(BaseModel):
    custom_id: str
    method: Literal["POST"] = "POST"
    url: Literal["/v1/chat/completions"] = CHAT_COMPLETIONS
    body: dict[str, Any]


class BatchResponse(BaseModel):
    status_code: int = 200
    request_id: str | None = None
    body: dict[str, Any] | None = None


class BatchResultLine(BaseModel):
    id: str | None = None
    custom_id: str
    response: BatchResponse | None = None
    error: Any = None

    @property
    def answered(self) -> bool:
        """An HTTP answer to feed to the model client (a completion, or an error body)."""
        return (
            self.response is not None
            and self.response.body is not None
            and (self.error is None or self.response.status_code != 200)
        )

    def failure(self) -> str:
        """Why there is no answer, in words, for a line that is not `answered`."""
        status = f" (status {self.response.status_code})" if self.response else ""
        return f"the batch returned no answer{status}: {describe_error(self.error)}"


def describe_error(error: Any) -> str:
    """The message of a batch error: OpenAI's {"code", "message"}, vLLM's text or its
    ErrorResponse ({"error": {...}} or {"object": "error", "message", ...})."""
    if isinstance(error, dict):
        inner = error.get("error") if isinstance(error.get("error"), dict) else error
        message, code = inner.get("message"), inner.get("code")
        if message:
            return f"{code}: {message}" if code else str(message)
        return json.dumps(error, ensure_ascii=False)[:500]
    return str(error)[:500] if error else "no error given"


def body_hash(body: dict[str, Any]) -> str:
    """The request body's fingerprint, independent of key order and spacing."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def custom_id(article_id: str, purpose: str, fingerprint: str, window: int | None = None) -> str:
    """<article id>-<purpose>[-w<window>]-<12 hex of the body's hash>: the article at a
    glance, one id per distinct request (the same request written again has the same id)."""
    part = f"-w{window}" if window is not None else ""
    return f"{article_id}-{purpose}{part}-{fingerprint[:12]}"


def read_results(paths: list[Path]) -> Iterator[tuple[str, BatchResultLine | str]]:
    """("file:line", the parsed line) or ("file:line", what is wrong with it), in order,
    one line at a time; blank lines are passed over."""
    for path in paths:
        try:
            with path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    where = f"{path}:{number}"
                    try:
                        yield where, BatchResultLine.model_validate_json(line)
                    except ValidationError as exc:
                        yield where, f"line {number} of {path} is not a batch result line: {_first_problem(exc)}"
        except (OSError, UnicodeDecodeError) as exc:
            raise BatchFileError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}.") from None


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return "not valid JSON"
    where = ".".join(str(part) for part in first["loc"]) or "the line"
    return f"{where}: {first['msg']}"


def write_requests(path: Path, lines: Iterator[BatchRequestLine]) -> int:
    """Write the request lines, one JSON object a line; returns how many."""
    written = 0
    try:
        with path.open("w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(line.model_dump(), ensure_ascii=False) + "\n")
                written += 1
    except OSError as exc:
        raise BatchFileError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return written
