"""Recorded HTTP exchanges (vcrpy cassettes): one configuration for recording and replay.

Requests are matched on method, path and body, so any change to the prompt, the schema
or an article gives a request with no recorded answer, which the model layer reports
with the command that re-records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import vcr

SECRET_HEADERS = [
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
]


def _vcr(record: bool, secrets: tuple[str, ...] = ()) -> vcr.VCR:
    def scrub(response: dict) -> dict:
        """A key a server echoes back (in an error text, say) never reaches a cassette."""
        body = response.get("body", {}).get("string")
        for secret in secrets:
            if isinstance(body, bytes) and secret.encode() in body:
                body = body.replace(secret.encode(), b"[redacted]")
            elif isinstance(body, str) and secret in body:
                body = body.replace(secret, "[redacted]")
        if body is not None:
            response["body"]["string"] = body
        return response

    return vcr.VCR(
        record_mode="all" if record else "none",
        match_on=["method", "path", "body"],
        filter_headers=SECRET_HEADERS,
        decode_compressed_response=True,
        before_record_response=scrub,
    )


@contextmanager
def cassette(
    path: Path, record: bool = False, label: str | None = None, secrets: tuple[str, ...] = ()
) -> Iterator[None]:
    """Replay (or record) the HTTP exchanges in `path`. When recording, `label` is
    written as a comment at the top of the file: which server produced it; `secrets`
    (the API key) are replaced wherever a response repeats them."""
    if not record and not path.exists():
        raise FileNotFoundError(
            f"No recorded responses at {path}; record them with: python -m extractor.recording.record"
        )
    with _vcr(record, tuple(s for s in secrets if s and len(s) > 3)).use_cassette(str(path)):
        yield
    if record and label:
        body = path.read_text("utf-8")
        path.write_text("".join(f"# {line}\n" for line in label.splitlines()) + body, "utf-8")
