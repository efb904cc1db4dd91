"""Plain helpers (not fixtures) shared by the CLI, demo, retry and idempotence tests."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
from click.testing import CliRunner, Result

from extractor.cli import cli
from extractor.crosscheck.conflicts import ClaimFacts, Duration
from extractor.extraction.model import ModelClient, ModelSettings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "suites" / "seeds" / "articles"
SEED_GOLD = ROOT / "evals" / "suites" / "seeds" / "gold"
FAULT_CASSETTES = Path(__file__).resolve().parent / "cassettes" / "faults"

# Seed file prefix -> article id (first 16 hex of sha256 of the cleaned text).
SEED_IDS = {
    "000": "3344c0298934e01d",
    "001": "920382393c638fed",
    "002": "064abb445e9fcf3d",
    "003": "410fb558418070a2",
    "004": "1080fbab4ad5d903",
}

# Columns that legitimately differ between two runs that produce the same content.
VOLATILE_COLUMNS = {"id", "extraction_id", "created_at", "added_at", "source"}
CONTENT_TABLES = ("articles", "claims", "parties", "attributions", "evidence")


def seed_path(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def reference_claim_count() -> int:
    """How many claims the hand-written gold of the seeds holds (what the demo must store)."""
    return sum(len(json.loads(p.read_text("utf-8"))["claims"]) for p in sorted(SEED_GOLD.glob("*.json")))


def query(db_path: Path | str, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
    """Rows as dicts, through a short-lived plain sqlite3 connection."""
    connection = sqlite3.connect(str(db_path))
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def count(db_path: Path | str, table: str, where: str = "1 = 1", params: tuple | list = ()) -> int:
    return query(db_path, f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", params)[0]["n"]


def table_content(db_path: Path | str, table: str, drop: set[str] = VOLATILE_COLUMNS) -> list[tuple]:
    """A table's rows without ids and timestamps, sorted: comparable across runs.
    For articles the id is the content hash, so it is kept."""
    rows = query(db_path, f"SELECT * FROM {table}")
    keep_id = table == "articles" or table == "claims"
    result = []
    for row in rows:
        result.append(tuple(sorted((k, v) for k, v in row.items() if k not in drop or (k == "id" and keep_id))))
    return sorted(result, key=repr)


def content_snapshot(db_path: Path | str) -> dict[str, list[tuple]]:
    return {table: table_content(db_path, table) for table in CONTENT_TABLES}


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    """Run `truce <args>` in-process. Wide COLUMNS so rich does not wrap lines."""
    runner = CliRunner()
    return runner.invoke(cli, [str(a) for a in args], env={"COLUMNS": "1000", **(env or {})})


def extract_cli(paths: list[Path | str], db: Path | str, base_url: str, *extra: str) -> Result:
    return invoke(["extract", *paths, "--db", db, "--base-url", base_url, "--model", "reference", "--silent", *extra])


def completion_body(content: str, model: str = "mock") -> dict[str, Any]:
    """A chat completion as an OpenAI-compatible server returns it; `content` is the
    JSON text instructor parses in json_schema mode."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16},
    }


def mock_client(
    handler: Callable[[httpx2.Request], httpx2.Response],
    waits: list[float] | None = None,
    api_key: str = "not-needed",
    **options: Any,
) -> ModelClient:
    """A ModelClient whose HTTP goes to `handler` and whose backoff sleeps are recorded."""
    settings = ModelSettings(
        model="mock", base_url="http://127.0.0.1:9/v1", api_key=api_key, mode="json_schema", **options
    )
    record = waits.append if waits is not None else (lambda seconds: None)
    return ModelClient(settings, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)), sleep=record)


def claim_facts(cid: str, kind: str, day: int, sides: frozenset[str], **fields) -> ClaimFacts:
    """What the cross-check knows of a claim, with defaults: dated `day`, by its own
    speaker, in its own article, between `sides`."""
    base = dict(
        id=cid,
        article_id="art-" + cid,
        kind=kind,
        negated=kind == "denial",
        scope="unknown",
        sides=sides,
        places=frozenset(),
        lo=day,
        hi=day,
        speaker="speaker " + cid,
        speaker_label="Speaker " + cid,
        channel=None,
        duration=None,
        conditions=(),
    )
    base.update(fields)
    return ClaimFacts(**base)


def dur(text: str, days: float | None = None, bound: str = "none", open_ended: bool = False) -> Duration:
    return Duration(text, days, bound, open_ended)


def run_truce(*args: str, cwd: Path | None = None, **options: Any) -> subprocess.CompletedProcess:
    """`truce ARGS` as a user runs it: a new process through `extractor.cli.main`, with
    buffered output as into a user's pipe (PYTHONUNBUFFERED is dropped). Output is
    captured unless `stdout`/`stderr` are given."""
    code = "import sys; from extractor.cli import main; sys.argv = ['truce', *sys.argv[1:]]; main()"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE} | options
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, text=True, timeout=120, env=env, **streams)
