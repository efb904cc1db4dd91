"""What chooses and tunes a model endpoint, and what a model call leaves behind: plain
data, importable without the openai SDK (the commands that only read the database
never load it)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal

from extractor.errors import ConfigError

Mode = Literal["tools", "json_schema", "json_object"]
MODES: tuple[str, ...] = Mode.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ModelSettings:
    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: Mode = "tools"
    timeout: float = 120.0
    http_retries: int = 4  # retries after the first attempt, for 429 / 5xx / timeouts
    validation_retries: int = 2  # re-asks when the answer does not fit the schema
    max_wait: float = 60.0
    temperature: float | None = 0.0
    max_tokens: int | None = None  # cap on the answer's length, for small local models

    @classmethod
    def resolve(
        cls,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        mode: Mode | None = None,
        **options: Any,
    ) -> ModelSettings:
        """Settings from options, falling back to the usual environment variables."""
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        model = model or os.environ.get("TRUCE_MODEL") or os.environ.get("OPENAI_MODEL")
        if not base_url and not api_key:
            raise ConfigError(
                "No model endpoint is configured: set OPENAI_API_KEY for OpenAI, or pass "
                "--base-url for a vLLM, Ollama or llama.cpp server (or run `truce demo`)."
            )
        if not model:
            model = "gpt-4o-mini" if not base_url else None
        if not model:
            raise ConfigError("No model name: pass --model or set TRUCE_MODEL.")
        # Local servers take any key; the SDK insists on one.
        api_key = api_key or "not-needed"
        mode = mode or ("tools" if not base_url else "json_schema")
        return cls(model=model, base_url=base_url, api_key=api_key, mode=mode, **options)


@dataclass
class CallRecord:
    purpose: str
    model: str
    attempt: int
    started_at: str
    request_json: str | None = None  # what was sent, as JSON, the key scrubbed
    response_json: str | None = None
    status: str = "ok"  # ok | invalid_output | truncated | http_error
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None  # prompt tokens served from the server's prefix cache
    duration_ms: int | None = None

    @property
    def request(self) -> dict[str, Any] | None:
        return json.loads(self.request_json) if self.request_json is not None else None

    @property
    def response(self) -> dict[str, Any] | None:
        return json.loads(self.response_json) if self.response_json is not None else None
