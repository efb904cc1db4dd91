"""Every fault scenario against a live OpenAI-compatible server on 127.0.0.1.

The project's reference server (`extractor/reference_server.py`) serves the seeds'
hand-written answers and, with `--fault`, fails the way real servers do: 429 with
Retry-After, 500, a dropped connection, an answer trickled a byte at a time, a body
that is not JSON, an answer without the claims list, an answer cut off at the token
limit, no choices, and an error text that looks like rich markup. For each, the test
runs `truce extract` as a user would and checks what the user sees and what the
database holds: no false success, no lost article, and the same command run again
against a healthy server completes the work."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from truce_helpers import SEED_IDS, extract_cli, query, seed_path

from extractor.recording.reference_server import serve_in_thread

OK_SEED, FAULTY_SEED = "001", "003"  # 003 holds claims; 001 is short


@pytest.fixture
def serve() -> Iterator:
    """Start reference servers with the given faults; all are stopped at the end."""
    servers = []

    def start(*faults: str) -> str:
        server, url = serve_in_thread(faults=list(faults))
        servers.append(server)
        return url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def status_of(db: Path, seed: str) -> str | None:
    rows = query(db, "SELECT status FROM extractions WHERE article_id = ? ORDER BY id DESC", [SEED_IDS[seed]])
    return rows[0]["status"] if rows else None


def calls(db: Path, seed: str) -> list[dict]:
    return query(
        db,
        "SELECT status, error, request_json AS request FROM model_calls WHERE article_id = ? ORDER BY id",
        [SEED_IDS[seed]],
    )


def claims_of(db: Path, seed: str) -> int:
    return query(db, "SELECT COUNT(*) AS n FROM claims WHERE article_id = ?", [SEED_IDS[seed]])[0]["n"]


def gold_claims(seed: str) -> int:
    gold = seed_path(seed).parent.parent / "gold" / f"{seed_path(seed).stem}.json"
    return len(json.loads(gold.read_text("utf-8"))["claims"])


def rerun_heals(db: Path, serve, seed: str) -> None:
    """The same command against a healthy server stores what the fault kept out."""
    result = extract_cli([seed_path(OK_SEED), seed_path(FAULTY_SEED)], db, serve())
    assert result.exit_code == 0, result.output
    assert status_of(db, seed) == "ok"
    assert claims_of(db, seed) == gold_claims(seed)


def test_429_with_retry_after_is_waited_for_then_the_article_is_stored(db_path, serve):
    started = time.monotonic()
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, serve("rate-limit-first"), "--concurrency", "1")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 honoured
    attempts = calls(db_path, FAULTY_SEED)
    assert [c["status"] for c in attempts] == ["http_error", "ok"]
    assert "429" in attempts[0]["error"]
    assert claims_of(db_path, FAULTY_SEED) == gold_claims(FAULTY_SEED)


def test_a_500_fails_only_its_article_and_a_rerun_completes_it(db_path, serve):
    url = serve(f"error-for:{SEED_IDS[FAULTY_SEED]}")
    result = extract_cli([seed_path(OK_SEED), seed_path(FAULTY_SEED)], db_path, url, "--retries", "1")
    assert result.exit_code == 1
    assert "HTTP 500" in result.output and "Traceback" not in result.output
    assert (status_of(db_path, OK_SEED), status_of(db_path, FAULTY_SEED)) == ("ok", "failed")
    assert [c["status"] for c in calls(db_path, FAULTY_SEED)] == ["http_error", "http_error"]
    rerun_heals(db_path, serve, FAULTY_SEED)


def test_a_dropped_connection_is_retried(db_path, serve):
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, serve("reset-first"), "--concurrency", "1")
    assert result.exit_code == 0, result.output
    attempts = calls(db_path, FAULTY_SEED)
    assert [c["status"] for c in attempts] == ["http_error", "ok"]
    assert claims_of(db_path, FAULTY_SEED) == gold_claims(FAULTY_SEED)


def test_a_server_trickling_its_answer_is_cut_at_the_timeout_in_all(db_path, serve):
    # One byte every 50 ms never trips a timeout between bytes; the whole answer would take
    # minutes. --timeout bounds the call in all.
    started = time.monotonic()
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, serve("trickle"), "--timeout", "2", "--retries", "0")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert elapsed < 20, f"the call was held for {elapsed:.0f} s"
    assert "timed out" in result.output
    assert status_of(db_path, FAULTY_SEED) == "failed"
    rerun_heals(db_path, serve, FAULTY_SEED)


def test_an_answer_that_is_not_json_is_reasked_then_fails_the_article(db_path, serve):
    url = serve(f"malformed-for:{SEED_IDS[FAULTY_SEED]}")
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, url, "--mode", "json_schema")
    assert result.exit_code == 1
    assert "did not fit the schema" in result.output
    assert status_of(db_path, FAULTY_SEED) == "failed"
    assert {c["status"] for c in calls(db_path, FAULTY_SEED)} == {"invalid_output"}
    rerun_heals(db_path, serve, FAULTY_SEED)


def test_an_answer_without_the_claims_list_is_never_stored_as_no_claims(db_path, serve):
    url = serve(f"wrong-shape-for:{SEED_IDS[FAULTY_SEED]}")
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, url)
    assert result.exit_code == 1
    assert '"claims" list' in result.output
    assert status_of(db_path, FAULTY_SEED) == "failed"
    assert claims_of(db_path, FAULTY_SEED) == 0
    rerun_heals(db_path, serve, FAULTY_SEED)


def test_a_cut_off_answer_is_asked_again_with_twice_the_room(db_path, serve):
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, serve("truncated-first"))
    assert result.exit_code == 0, result.output
    first, second = calls(db_path, FAULTY_SEED)
    assert (first["status"], second["status"]) == ("truncated", "ok")
    assert "max_tokens" not in json.loads(first["request"])
    assert json.loads(second["request"])["max_tokens"] > 0
    assert claims_of(db_path, FAULTY_SEED) == gold_claims(FAULTY_SEED)


def test_an_answer_cut_off_again_fails_and_says_so(db_path, serve):
    url = serve(f"truncated-for:{SEED_IDS[FAULTY_SEED]}")
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, url)
    assert result.exit_code == 1
    assert "cut off at the output token limit" in result.output
    assert [c["status"] for c in calls(db_path, FAULTY_SEED)] == ["truncated", "truncated"]
    assert status_of(db_path, FAULTY_SEED) == "failed"


def test_a_cap_the_user_set_is_kept_and_named(db_path, serve):
    url = serve(f"truncated-for:{SEED_IDS[FAULTY_SEED]}")
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, url, "--max-tokens", "300")
    assert result.exit_code == 1
    assert "cut off at the output token limit of 300 tokens" in result.output
    assert [c["status"] for c in calls(db_path, FAULTY_SEED)] == ["truncated"]


def test_an_answer_with_no_choices_says_what_the_server_sent(db_path, serve):
    url = serve(f"no-choices-for:{SEED_IDS[FAULTY_SEED]}")
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, url)
    assert result.exit_code == 1
    assert "no choices" in result.output.lower() and "list index out of range" not in result.output
    assert status_of(db_path, FAULTY_SEED) == "failed"


def test_an_error_text_that_looks_like_markup_is_printed_as_it_came(db_path, serve):
    url = serve("markup-error-first")
    result = extract_cli([seed_path(FAULTY_SEED)], db_path, url, "--retries", "0")
    assert result.exit_code == 1
    assert "[/model] in [bold]backend[/]" in result.output
    assert "MarkupError" not in result.output and "Traceback" not in result.output
    rerun_heals(db_path, serve, FAULTY_SEED)
