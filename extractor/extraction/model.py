"""The model layer: any OpenAI-compatible endpoint through the openai SDK and instructor.

- instructor validates the answer against the pydantic schema and re-asks a bounded
  number of times when it does not validate;
- tenacity retries 429, 5xx, timeouts and dropped connections with exponential backoff,
  honouring the server's Retry-After header;
- every HTTP attempt is logged as a `CallRecord` (request and response JSON, tokens,
  duration). API keys are never part of a record or an error message;
- `timeout` bounds each attempt in all, not only the gap between bytes, so a server
  that trickles its answer cannot hold a call (`DeadlineTransport`).
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx2
import instructor
import openai
import orjson
from instructor.core.exceptions import InstructorRetryException
from instructor.core.hooks import Hooks
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from extractor.errors import ModelCallError, ReplayMismatchError
from extractor.extraction.settings import CallRecord, ModelSettings


def _check_async_validators_once() -> None:
    """instructor walks the whole response model on every call to refuse async
    validators (a few ms of CPU per call, issue 9); the answer depends on the class
    only, so it is worked out once per class. Left alone if instructor moves it."""
    try:
        from instructor.v2.validation import async_validators
    except ImportError:
        return
    check = getattr(async_validators, "reject_async_validators", None)
    if check is None or getattr(check, "truce_once", False):
        return
    passed: set = set()

    def once(response_model: Any) -> None:
        # instructor derives a same-named subclass per call: keyed by name, not object.
        key = (getattr(response_model, "__module__", None), getattr(response_model, "__qualname__", None))
        if None in key or not str(key[0]).startswith("extractor."):
            check(response_model)
        elif key not in passed:
            check(response_model)
            passed.add(key)

    once.truce_once = True  # type: ignore[attr-defined]
    async_validators.reject_async_validators = once
    try:  # a module that imported the function by name at its top
        from instructor.v2.core import patch
    except ImportError:
        return
    if getattr(patch, "reject_async_validators", None) is check:
        patch.reject_async_validators = once


_check_async_validators_once()


@functools.cache
def _prepared(response_model: type[T]) -> type[T]:
    """The response model as instructor prepares it, made once: instructor otherwise
    derives a new subclass of it with pydantic's create_model on every call."""
    try:
        from instructor.v2.core.response_model import prepare_response_model
    except ImportError:
        return response_model
    return prepare_response_model(response_model)


# instructor logs every failed attempt at ERROR level, request and error text included,
# which may echo a key; this layer records attempts itself, scrubbed, in CallRecords.
logging.getLogger("instructor").setLevel(logging.CRITICAL)

T = TypeVar("T", bound=BaseModel)
# tools: OpenAI function calling. json_schema: response_format json_schema (OpenAI, vLLM,
# Ollama, llama.cpp's llama-server). json_object: response_format json_object carrying a
# "schema", which is how llama-cpp-python's server constrains output to a JSON schema.
_INSTRUCTOR_MODES = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json_object": instructor.Mode.JSON,
}
RE_RECORD_HINT = "Re-record the responses with: python -m extractor.recording.record"
MAX_RETRY_TOKENS = 32768  # the most a cut-off answer is given on its one retry


@dataclass
class StructuredResult:
    value: BaseModel
    calls: list[CallRecord]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait, from Retry-After (seconds or an HTTP date)."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: fall back to our own backoff
    return max(0.0, (parsed - datetime.now(parsed.tzinfo)).total_seconds())


def _root_cause(exc: BaseException) -> BaseException:
    """The HTTP error under instructor's wrapper."""
    while isinstance(exc, InstructorRetryException) and exc.__cause__:
        exc = exc.__cause__
    return exc


def is_transient(exc: BaseException) -> bool:
    exc = _root_cause(exc)
    if _is_replay_mismatch(exc):
        return False
    if isinstance(exc, (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError)):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _is_replay_mismatch(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ == "CannotOverwriteExistingCassetteException":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _DeadlineStream(httpx2.SyncByteStream):
    """A response body that stops with a timeout once the attempt's deadline passes."""

    def __init__(self, stream: httpx2.SyncByteStream, request: httpx2.Request, ends_at: float, seconds: float):
        self._stream, self._request, self._ends_at, self._seconds = stream, request, ends_at, seconds

    def __iter__(self):
        for chunk in self._stream:
            _check_deadline(self._request, self._ends_at, self._seconds)
            yield chunk

    def close(self) -> None:
        self._stream.close()


def _check_deadline(request: httpx2.Request, ends_at: float, seconds: float) -> None:
    if time.monotonic() > ends_at:
        raise httpx2.ReadTimeout(f"no complete answer within {seconds:g} s", request=request)


class DeadlineTransport(httpx2.BaseTransport):
    """Each request, headers and body, must be over within `seconds`; the per-read
    timeout alone lets a server sending a byte a second hold a call for ever."""

    def __init__(self, seconds: float, inner: httpx2.BaseTransport | None = None):
        self.seconds = seconds
        self.inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        ends_at = time.monotonic() + self.seconds
        response = self.inner.handle_request(request)
        try:
            _check_deadline(request, ends_at, self.seconds)
        except httpx2.ReadTimeout:
            response.close()
            raise
        stream = _DeadlineStream(response.stream, request, ends_at, self.seconds)  # type: ignore[arg-type]
        return httpx2.Response(
            response.status_code, headers=response.headers, stream=stream, extensions=response.extensions
        )

    def close(self) -> None:
        self.inner.close()


_REQUEST_OPTIONS = {"extra_headers": "headers", "extra_query": "params", "timeout": "timeout"}


def _create_as_is(client: openai.OpenAI) -> Callable[..., Any]:
    """`chat.completions.create` as instructor calls it, without two costs of the SDK's:

    - its `create` walks every parameter through its TypedDict transform (each message
      tried against every message type of a union, the JSON schema node by node; a sixth
      of a call's CPU in cProfile, issue 9), copies the body and encodes it with the
      standard library, for parameters that are plain JSON already. So the body is
      encoded once, with orjson, and posted through the SDK's public `post` (its way to
      any endpoint), which keeps its headers, errors, timeouts and response parsing. The
      JSON sent is the same;
    - reaching `client.chat` loads every resource module of the SDK (half a second per
      process). Instructor patches this function instead (`instructor.patch(create=)`,
      its documented way to wrap any create function), so the SDK's chat resource is
      loaded only for a streamed call or a body orjson cannot encode, which go the
      SDK's own way."""

    def create_as_is(**kwargs: Any) -> Any:
        options = {_REQUEST_OPTIONS[key]: kwargs.pop(key) for key in list(kwargs) if key in _REQUEST_OPTIONS}
        extra_body = kwargs.pop("extra_body", None) or {}
        body = {key: value for key, value in kwargs.items() if not isinstance(value, (openai.NotGiven, openai.Omit))}
        content = None
        if not body.get("stream"):
            with contextlib.suppress(TypeError):  # orjson.JSONEncodeError is a TypeError
                content = orjson.dumps({**body, **extra_body})
        if content is None:
            back = {key: options[name] for key, name in _REQUEST_OPTIONS.items() if name in options}
            return client.chat.completions.create(**kwargs, **back, extra_body=extra_body or None)
        # As the SDK's own create: options left unset are omitted, and the call is
        # authorised with the bearer key.
        options = {
            key: value for key, value in options.items() if value is not None and not isinstance(value, openai.NotGiven)
        }
        options["security"] = {"bearer_auth": True}
        return client.post("/chat/completions", cast_to=ChatCompletion, content=content, options=options)

    return create_as_is


class ModelClient:
    """Structured calls to one model. Safe to share between threads."""

    def __init__(
        self,
        settings: ModelSettings,
        http_client: httpx2.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self._sleep = sleep
        self._http_client = http_client
        self._made: tuple[openai.OpenAI, Any] | None = None
        self._making = threading.Lock()

    def _clients(self) -> tuple[openai.OpenAI, Any]:
        """The SDK's client and instructor's, made on first use (thread-safe): a run whose
        articles are all extracted already never needs them, and making them takes a fifth
        of a second (the HTTP transport's TLS context, instructor's OpenAI handlers)."""
        if self._made is None:
            with self._making:
                if self._made is None:
                    self._made = self._make_clients()
        return self._made

    def prepare(self) -> None:
        """Make the clients now (before forking worker processes, which then share them)."""
        self._clients()

    def _make_clients(self) -> tuple[openai.OpenAI, Any]:
        settings, http_client = self.settings, self._http_client
        if http_client is None:
            # The SDK's own connection limits (a bare transport keeps only 20 idle
            # connections, so at 64 calls in flight it would keep opening new ones).
            inner = httpx2.HTTPTransport(limits=openai.DEFAULT_CONNECTION_LIMITS)
            http_client = openai.DefaultHttpxClient(
                transport=DeadlineTransport(settings.timeout, inner), timeout=settings.timeout
            )
        client = openai.OpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=0,  # tenacity below owns retries, so Retry-After is honoured once
            http_client=http_client,
        )
        mode, provider = _INSTRUCTOR_MODES[settings.mode], instructor.Provider.OPENAI
        # What instructor.from_openai(client, mode) builds, over `_create_as_is`. The three
        # modes used are instructor's current names, which from_openai keeps as they are.
        # It also loads instructor's OpenAI handlers here, before worker processes fork,
        # rather than on the first call of each worker.
        with contextlib.suppress(ImportError):
            importlib.import_module("instructor.v2.providers.openai.handlers")
        create = instructor.patch(create=_create_as_is(client), mode=mode, provider=provider)
        return client, instructor.Instructor(client=client, create=create, mode=mode, provider=provider)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = _retry_after(_root_cause(exc)) if exc else None
        if asked is not None:
            return min(asked, self.settings.max_wait)
        return min(2.0 ** (state.attempt_number - 1), self.settings.max_wait)

    def _scrub(self, text: str) -> str:
        key = self.settings.api_key
        return text.replace(key, "[redacted]") if key and len(key) > 3 else text

    def _json(self, value: Any) -> str:
        """JSON text of a request or response, encoded once, with the API key replaced
        should a server echo it back."""
        return self._scrub(orjson.dumps(value, default=_type_name).decode())

    def structured(self, messages: list[dict[str, Any]], response_model: type[T], purpose: str) -> StructuredResult:
        """Ask for `response_model`; retry transient HTTP errors; log every attempt."""
        calls: list[CallRecord] = []
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.settings.http_retries + 1),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            value = retrying(self._attempt, messages, response_model, purpose, calls)
        except Exception as exc:  # turned into the project's own error, without secrets
            budget = self._larger_budget(calls)
            if budget is None:
                raise self._as_error(exc, calls) from None
            try:  # an answer cut off at the server's own limit: once more, with room
                value = retrying(self._attempt, messages, response_model, purpose, calls, budget)
            except Exception as again:
                raise self._as_error(again, calls) from None
        return StructuredResult(value=value, calls=calls)

    def _larger_budget(self, calls: list[CallRecord]) -> int | None:
        """Twice the cut-off answer's length, when the last answer was cut off at the
        server's default limit; a cap the user set (--max-tokens) is kept."""
        last = calls[-1] if calls else None
        if last is None or last.status != "truncated" or self.settings.max_tokens is not None:
            return None
        if (last.request or {}).get("max_tokens"):
            return None  # already the retry
        return min(2 * (last.output_tokens or 4096), MAX_RETRY_TOKENS)

    def _attempt(
        self,
        messages: list[dict[str, Any]],
        response_model: type[T],
        purpose: str,
        calls: list[CallRecord],
        max_tokens: int | None = None,
    ) -> T:
        current: dict[str, Any] = {}

        def on_kwargs(*_args: Any, **kwargs: Any) -> None:
            record = CallRecord(
                purpose=purpose,
                model=self.settings.model,
                attempt=len(calls) + 1,
                started_at=_now(),
                request_json=self._json(kwargs),
            )
            calls.append(record)
            current["record"], current["t0"] = record, time.perf_counter()
            current["max_tokens"] = kwargs.get("max_tokens")

        def on_response(response: Any) -> None:
            record: CallRecord = current["record"]
            record.duration_ms = int((time.perf_counter() - current["t0"]) * 1000)
            record.response_json = self._json(response.model_dump())
            usage = getattr(response, "usage", None)
            record.input_tokens = getattr(usage, "prompt_tokens", None)
            record.output_tokens = getattr(usage, "completion_tokens", None)
            record.cached_tokens = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", None)
            choices = getattr(response, "choices", None) or []
            if not choices:
                record.status, record.error = "invalid_output", "the server's answer has no choices"
            elif getattr(choices[0], "finish_reason", None) == "length":
                limit = current.get("max_tokens")
                record.status = "truncated"
                record.error = "the answer was cut off at the output token limit" + (
                    f" of {limit} tokens" if limit else ""
                )

        def on_parse_error(error: Exception, **_: Any) -> None:
            record: CallRecord = current["record"]
            record.status, record.error = "invalid_output", self._scrub(str(error))[:2000]

        def on_http_error(error: Exception, **_: Any) -> None:
            record: CallRecord = current["record"]
            record.duration_ms = int((time.perf_counter() - current["t0"]) * 1000)
            record.status, record.error = "http_error", self._scrub(_describe(error))

        hooks = Hooks()  # per call: one client serves every thread
        hooks.on("completion:kwargs", on_kwargs)
        hooks.on("completion:response", on_response)
        hooks.on("parse:error", on_parse_error)
        hooks.on("completion:error", on_http_error)
        kwargs: dict[str, Any] = {}
        if self.settings.temperature is not None:
            kwargs["temperature"] = self.settings.temperature
        if (max_tokens or self.settings.max_tokens) is not None:
            kwargs["max_tokens"] = max_tokens or self.settings.max_tokens
        if self.settings.mode == "json_object":
            schema = response_model.model_json_schema()
            kwargs["extra_body"] = {"response_format": {"type": "json_object", "schema": schema}}
        return self._clients()[1].chat.completions.create(
            model=self.settings.model,
            messages=messages,
            response_model=_prepared(response_model),
            hooks=hooks,
            max_retries=self.settings.validation_retries,
            **kwargs,
        )

    def _as_error(self, exc: Exception, calls: list[CallRecord]) -> ModelCallError:
        root = _root_cause(exc)
        if _is_replay_mismatch(root):
            return ReplayMismatchError(
                "No recorded response matches this request: the prompt, the schema or the "
                f"article changed since the responses were recorded. {RE_RECORD_HINT}",
                attempts=len(calls),
                calls=calls,
            )
        last_output = None
        if isinstance(exc, InstructorRetryException):
            completion = exc.last_completion
            last_output = self._json(completion.model_dump())[:4000] if completion else None
        if is_transient(root) or isinstance(root, openai.APIError):
            message = f"The model endpoint failed after {len(calls)} attempt(s): {_describe(root)}"
        else:
            message = (
                f"The model's answer did not fit the schema after {len(calls)} attempt(s): {_what_failed(root, calls)}"
            )
        unreachable = isinstance(root, openai.APIConnectionError) and not isinstance(root, openai.APITimeoutError)
        return ModelCallError(
            self._scrub(message), attempts=len(calls), last_output=last_output, calls=calls, unreachable=unreachable
        )


def _what_failed(exc: BaseException, calls: list[CallRecord] | None = None) -> str:
    """The first validation problem in words ("claims.0.kind: Input should be ..."), or
    what the server sent when it was no answer at all."""
    last = calls[-1] if calls else None
    if last is not None and last.status in ("truncated", "invalid_output") and last.error:
        sent = (last.response_json or "")[:300] if last.status == "invalid_output" else ""
        return last.error + (f"; the server sent {sent}" if sent else "")
    if isinstance(exc, ValidationError) and exc.error_count():
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the answer"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} {exc.message}"[:500]
    if isinstance(exc, openai.APITimeoutError):
        return "the request timed out (no complete answer within --timeout seconds)"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot connect ({exc.__cause__ or exc})"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _type_name(value: Any) -> str:
    """How a value JSON cannot encode appears in a call record (a pydantic class in the
    kwargs: its name)."""
    return getattr(value, "__name__", repr(value))
