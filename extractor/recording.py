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


def _vcr(record: bool) -> vcr.VCR:
    return vcr.VCR(
        record_mode="all" if record else "none",
        match_on=["method", "path", "body"],
        filter_headers=SECRET_HEADERS,
        decode_compressed_response=True,
    )


@contextmanager
def cassette(path: Path, record: bool = False, label: str | None = None) -> Iterator[None]:
    """Replay (or record) the HTTP exchanges in `path`. When recording, `label` is
    written as a comment at the top of the file: which server produced it."""
    if not record and not path.exists():
        raise FileNotFoundError(f"No recorded responses at {path}; record them with: python -m extractor.record")
    with _vcr(record).use_cassette(str(path)):
        yield
    if record and label:
        body = path.read_text("utf-8")
        path.write_text("".join(f"# {line}\n" for line in label.splitlines()) + body, "utf-8")
