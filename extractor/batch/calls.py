"""The live model client, run without a network: to capture the request it would send,
and to take a batch's answer to that request.

Both go through `ModelClient.structured`, so the request body is exactly what a live
run sends for the same article, model and mode, and an answer is parsed, validated,
logged and counted (tokens) exactly as a live answer is.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

from extractor.batch.jsonl import body_hash
from extractor.errors import ModelCallError, TruceError
from extractor.extraction.extract import ground_claim, reask_problems
from extractor.extraction.model import CallRecord, ModelClient, ModelSettings, StructuredResult
from extractor.extraction.prompts import extraction_messages, ungrounded_reask_message
from extractor.extraction.schema import ArticleExtraction, GroundedClaim
from extractor.grounding.ground import NormalisedText
from extractor.read import Article

EXTRACT, REASK = "extract", "reask_ungrounded"
PURPOSES = (EXTRACT, REASK)


class RequestChangedError(TruceError):
    """The request truce would send now is not the one the batch answered."""


def batch_settings(model: str, mode: str, max_tokens: int | None) -> ModelSettings:
    """The settings a batch request is made with: those of a live run, except that one
    request gets one answer (no HTTP retries, no re-ask for an invalid answer)."""
    return ModelSettings(
        model=model,
        api_key="not-needed",  # nothing is sent
        mode=mode,  # type: ignore[arg-type]
        max_tokens=max_tokens,
        http_retries=0,
        validation_retries=0,
    )


def reask_state(article: Article, answer_json: str) -> tuple[list[GroundedClaim], list[dict]]:
    """A first answer's claims grounded in the article, and the re-ask problems they give
    (the same as when the answer was ingested: grounding is deterministic)."""
    normalised = NormalisedText.of(article.text)
    first = ArticleExtraction.model_validate_json(answer_json)
    grounded = [ground_claim(claim, article, normalised) for claim in first.claims]
    return grounded, reask_problems(grounded)


def messages_for(
    purpose: str, article: Article, excerpts: str | None = None, answer_json: str | None = None
) -> list[dict[str, Any]]:
    """The messages of a live extraction call on the article (or on the `excerpts` of
    one of its windows), or of its re-ask for the quotes of `answer_json` (the first
    answer, as the live re-ask quotes it back) that do not align."""
    messages = extraction_messages(article, excerpts)
    if purpose == EXTRACT:
        return messages
    _, problems = reask_state(article, answer_json or "{}")
    return messages + [{"role": "assistant", "content": answer_json}, ungrounded_reask_message(problems)]


class _Capture(httpx2.BaseTransport):
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(json.loads(request.content))
        raise _NotSentError()


class _NotSentError(Exception):
    """Raised in place of sending: the request is captured, or refused."""


class RequestCapture:
    """Requests as the live client would send them, captured instead of sent."""

    def __init__(self, settings: ModelSettings):
        self._transport = _Capture()
        self._client = ModelClient(
            settings, http_client=httpx2.Client(transport=self._transport), sleep=lambda seconds: None
        )

    def request(self, messages: list[dict[str, Any]], purpose: str) -> tuple[dict[str, Any], CallRecord]:
        """The HTTP body, and the call record a live run would log for it."""
        self._transport.bodies.clear()
        try:
            self._client.structured(messages, ArticleExtraction, purpose=purpose)
        except ModelCallError as exc:
            if self._transport.bodies and exc.calls:
                return self._transport.bodies[0], exc.calls[0]
            raise
        raise AssertionError("the capturing transport let a request through")  # pragma: no cover


class _OneAnswer(httpx2.BaseTransport):
    """Answers the expected request with the batch's answer; any other request is refused."""

    def __init__(self) -> None:
        self.expected: str | None = None
        self.status = 200
        self.body: dict[str, Any] = {}
        self.changed = False

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.expected is None or body_hash(json.loads(request.content)) != self.expected:
            self.changed = True
            raise _NotSentError()
        self.expected = None  # one answer per request
        return httpx2.Response(self.status, json=self.body)


class _AnsweredClient(ModelClient):
    def _larger_budget(self, calls: list[CallRecord]) -> int | None:
        return None  # a batch answer is final: a cut-off answer gets no second try with more room


class BatchAnswers:
    """Feeds batch answers through the live client: parse, validate, log, count tokens."""

    def __init__(self, settings: ModelSettings):
        self._transport = _OneAnswer()
        self._client = _AnsweredClient(
            settings, http_client=httpx2.Client(transport=self._transport), sleep=lambda seconds: None
        )
        self._capture = RequestCapture(settings)

    def no_answer(self, messages: list[dict[str, Any]], purpose: str, reason: str) -> ModelCallError:
        """The failure of a request the batch has no answer for (an error line), with the
        call record a live run keeps of a failed request."""
        _, record = self._capture.request(messages, purpose)
        record.status, record.error, record.duration_ms = "http_error", reason, None
        return ModelCallError(f"The model endpoint failed: {reason}", attempts=1, calls=[record])

    def answer(
        self, messages: list[dict[str, Any]], purpose: str, fingerprint: str, status: int, body: dict[str, Any]
    ) -> StructuredResult:
        """The structured answer, or ModelCallError as a live call raises it (invalid
        output, cut off, an HTTP error status). RequestChangedError when the request
        made now differs from the one that was prepared (`fingerprint`)."""
        transport = self._transport
        transport.expected, transport.status, transport.body, transport.changed = fingerprint, status, body, False
        try:
            result = self._client.structured(messages, ArticleExtraction, purpose=purpose)
        except ModelCallError as exc:
            if transport.changed:
                raise RequestChangedError("the request truce makes now differs from the prepared one") from None
            _untimed(exc.calls)
            raise
        _untimed(result.calls)
        return result


def _untimed(calls: list[CallRecord]) -> None:
    for call in calls:
        call.duration_ms = None  # a batch gives no time per request: what was measured here is parsing
