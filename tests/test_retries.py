"""Resilience of the model layer: rate limits, server errors, malformed answers,
timeouts, replay mismatches, and API keys that must never be written anywhere.

Recorded fault scenarios are replayed with the settings they were recorded with
(`reference_settings(http_retries=FAULT_HTTP_RETRIES)`); backoff sleeps go to a list."""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import instructor
import openai
import pytest
from truce_helpers import FAULT_CASSETTES, SEED_IDS, completion_body, invoke, mock_client, query

from extractor.demo import reference_settings
from extractor.errors import ModelCallError, ReplayMismatchError
from extractor.extraction.extract import ArticleExtractionResult
from extractor.extraction.model import _INSTRUCTOR_MODES, ModelClient, ModelSettings, _create_as_is
from extractor.extraction.prompts import extraction_messages
from extractor.extraction.schema import ArticleExtraction
from extractor.pipeline import RunReport, run_extraction
from extractor.read import make_article, read_articles
from extractor.recording.cassettes import cassette
from extractor.recording.record import FAULT_HTTP_RETRIES, SEED
from extractor.storage import store

SECRET = "sk-testsecret-1234567890abcdef"
TINY = "Both sides agreed a ceasefire in the village on Monday, officials said."


def replay(cassette_name: str, seed_names: list[str], db_path: Path, **options) -> tuple[RunReport, list[float]]:
    """Extract the given seeds, replaying a recorded fault scenario."""
    waits: list[float] = []
    client = ModelClient(reference_settings(http_retries=FAULT_HTTP_RETRIES), sleep=waits.append)
    db = store.open_db(db_path)
    with cassette(FAULT_CASSETTES / cassette_name):
        items = read_articles([SEED[name] for name in seed_names])
        report = run_extraction(db, items, client, concurrency=1, **options)
    return report, waits


def calls_of(db_path: Path, article: str) -> list[dict]:
    return query(db_path, "SELECT * FROM model_calls WHERE article_id = ? ORDER BY id", [article])


# --- (a) one 429, then success -----------------------------------------------------------


def test_rate_limit_then_ok_honours_retry_after(db_path):
    report, waits = replay("rate_limit_then_ok.yaml", ["001_a2f90259e8779014.txt"], db_path)
    assert waits == [1.0]  # Retry-After: 1, not the exponential default
    assert (report.totals.extracted, report.totals.failed) == (1, 0)
    assert report.errors == []
    zaman = SEED_IDS["001"]
    calls = calls_of(db_path, zaman)
    assert [(c["attempt"], c["status"]) for c in calls] == [(1, "http_error"), (2, "ok")]
    assert "429" in calls[0]["error"]
    assert calls[0]["response_json"] is None and calls[1]["response_json"]
    assert calls[1]["input_tokens"] > 0
    (extraction,) = query(db_path, "SELECT * FROM extractions WHERE article_id = ?", [zaman])
    assert extraction["status"] == "ok"
    assert query(db_path, "SELECT COUNT(*) AS n FROM claims WHERE article_id = ?", [zaman])[0]["n"] == 2


# --- (b) HTTP 500 for one article, the others stored --------------------------------------


def test_server_error_fails_one_article_only(db_path):
    names = ["000_4952263365a5a737.txt", "001_a2f90259e8779014.txt", "003_b1e1143a79d9b815.txt"]
    report, waits = replay("server_error_one_article.yaml", names, db_path)
    # Exponential backoff between the three attempts at article 003.
    assert waits == [1.0, 2.0]
    assert (report.totals.extracted, report.totals.failed) == (2, 1)
    failing = SEED_IDS["003"]
    extractions = {r["article_id"]: r for r in query(db_path, "SELECT * FROM extractions")}
    assert extractions[failing]["status"] == "failed"
    assert "500" in extractions[failing]["error"]
    assert "3 attempt" in extractions[failing]["error"]
    assert extractions[SEED_IDS["000"]]["status"] == "ok"
    assert extractions[SEED_IDS["001"]]["status"] == "ok"
    # The run's errors name the article that failed.
    (run,) = query(db_path, "SELECT * FROM runs")
    assert run["articles_failed"] == 1 and run["articles_extracted"] == 2
    errors = json.loads(run["errors"])
    assert len(errors) == 1
    assert errors[0]["source"].endswith("003_b1e1143a79d9b815.txt")
    assert "500" in errors[0]["error"]
    assert report.errors == errors
    claims = query(db_path, "SELECT article_id, COUNT(*) AS n FROM claims GROUP BY article_id")
    assert {r["article_id"]: r["n"] for r in claims} == {SEED_IDS["000"]: 7, SEED_IDS["001"]: 2}
    # Every attempt at the failing article is logged.
    attempts = calls_of(db_path, failing)
    assert [(c["attempt"], c["status"]) for c in attempts] == [(1, "http_error"), (2, "http_error"), (3, "http_error")]
    # The failed article is stored, so its id is known, and it has no current extraction.
    assert query(db_path, "SELECT id FROM articles WHERE id = ?", [failing])
    assert not store.is_extracted(store.open_db(db_path), failing, "reference", run["prompt_hash"])


# --- (c) answers that are not JSON -----------------------------------------------------


def test_malformed_output_fails_the_article(db_path):
    report, waits = replay("malformed_output.yaml", ["003_b1e1143a79d9b815.txt"], db_path)
    assert waits == []  # not an HTTP error: re-asked by instructor, no backoff
    assert report.totals.failed == 1
    failing = SEED_IDS["003"]
    (extraction,) = query(db_path, "SELECT * FROM extractions WHERE article_id = ?", [failing])
    assert extraction["status"] == "failed"
    assert "did not fit the schema" in extraction["error"]
    assert query(db_path, "SELECT COUNT(*) AS n FROM claims")[0]["n"] == 0
    calls = calls_of(db_path, failing)
    assert len(calls) == 3  # the first answer and two validation re-asks
    assert {c["status"] for c in calls} == {"invalid_output"}
    assert all("Invalid JSON" in c["error"] for c in calls)


# --- (d) timeouts and rate limits through a mock transport -----------------------------


def extract_tiny(client: ModelClient, db_path: Path) -> RunReport:
    db = store.open_db(db_path)
    return run_extraction(db, [make_article(TINY, "tiny.txt")], client, concurrency=1)


def test_timeout_is_retried_then_recorded_as_failed(db_path):
    attempts: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        attempts.append(request)
        raise httpx2.ReadTimeout("read timed out", request=request)

    waits: list[float] = []
    report = extract_tiny(mock_client(handler, waits, http_retries=2), db_path)
    assert len(attempts) == 3
    assert waits == [1.0, 2.0]
    assert report.totals.failed == 1
    (extraction,) = query(db_path, "SELECT * FROM extractions")
    assert extraction["status"] == "failed"
    assert "timed out" in extraction["error"]
    calls = query(db_path, "SELECT * FROM model_calls ORDER BY id")
    assert [c["status"] for c in calls] == ["http_error"] * 3
    assert all("timed out" in c["error"] for c in calls)


def test_two_rate_limits_then_a_valid_completion(db_path):
    bodies: list[dict] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        if len(bodies) <= 2:
            return httpx2.Response(429, json={"error": {"message": "Rate limit reached", "type": "rate_limit"}})
        return httpx2.Response(200, json=completion_body(json.dumps({"claims": []})))

    waits: list[float] = []
    report = extract_tiny(mock_client(handler, waits), db_path)
    assert waits == [1.0, 2.0]  # no Retry-After: exponential
    assert (report.totals.extracted, report.totals.failed) == (1, 0)
    assert bodies[0]["response_format"]["type"] == "json_schema"
    assert bodies[0] == bodies[2]  # the same request each time
    calls = query(db_path, "SELECT * FROM model_calls ORDER BY id")
    assert [(c["attempt"], c["status"]) for c in calls] == [(1, "http_error"), (2, "http_error"), (3, "ok")]
    (extraction,) = query(db_path, "SELECT * FROM extractions")
    assert extraction["status"] == "ok" and extraction["claims_count"] == 0
    assert extraction["input_tokens"] == 11 and extraction["output_tokens"] == 5


def test_a_valid_claim_through_the_mock_transport_is_grounded(db_path):
    answer = {
        "claims": [
            {
                "kind": "agreement",
                "summary": "Officials said both sides agreed a ceasefire.",
                "factuality": "reported",
                "when": "on Monday",
                "evidence": [{"quote": "Both sides agreed a ceasefire in the village"}],
            }
        ]
    }

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=completion_body(json.dumps(answer)))

    report = extract_tiny(mock_client(handler), db_path)
    assert report.totals.extracted == 1
    (evidence,) = query(db_path, "SELECT * FROM evidence")
    assert evidence["alignment"] == "exact"
    assert TINY[evidence["start"] : evidence["end"]] == evidence["quote"]


def test_retry_after_is_capped_by_max_wait(db_path):
    answered: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        answered.append(1)
        if len(answered) == 1:
            return httpx2.Response(429, headers={"Retry-After": "3600"}, json={"error": {"message": "later"}})
        return httpx2.Response(200, json=completion_body('{"claims": []}'))

    waits: list[float] = []
    report = extract_tiny(mock_client(handler, waits, max_wait=5.0), db_path)
    assert waits == [5.0]
    assert report.totals.extracted == 1


def test_client_errors_are_not_retried(db_path):
    answered: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        answered.append(1)
        return httpx2.Response(400, json={"error": {"message": "bad request"}})

    waits: list[float] = []
    report = extract_tiny(mock_client(handler, waits), db_path)
    assert answered == [1]
    assert waits == []
    assert report.totals.failed == 1
    assert "HTTP 400" in report.errors[0]["error"]


def test_malformed_retry_after_falls_back_to_backoff(db_path):
    answered: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        answered.append(1)
        if len(answered) == 1:
            return httpx2.Response(429, headers={"Retry-After": "soon"}, json={"error": {"message": "later"}})
        return httpx2.Response(200, json=completion_body('{"claims": []}'))

    waits: list[float] = []
    report = extract_tiny(mock_client(handler, waits), db_path)
    assert report.errors == []
    assert waits == [1.0]
    assert report.totals.extracted == 1


# --- (e) the API key is never written --------------------------------------------------


def key_echoing_handler(status: int):
    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.headers["authorization"] == f"Bearer {SECRET}"  # it is sent...
        return httpx2.Response(
            status,
            json={"error": {"message": f"Incorrect API key provided: {SECRET}", "type": "invalid_request_error"}},
            headers={"x-echo-key": SECRET},
        )

    return handler


def all_db_bytes(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


@pytest.mark.parametrize("status", [401, 500])
def test_api_key_never_stored_or_shown(db_path, status):
    waits: list[float] = []
    client = mock_client(key_echoing_handler(status), waits, api_key=SECRET, http_retries=1)
    report = extract_tiny(client, db_path)
    assert report.totals.failed == 1
    error = report.errors[0]["error"]
    assert f"HTTP {status}" in error
    assert SECRET not in error
    assert "[redacted]" in error
    # ...but never stored: not in model_calls, extractions, runs, nor anywhere in the file.
    for table in ("model_calls", "extractions", "runs"):
        assert SECRET not in json.dumps(query(db_path, f"SELECT * FROM {table}")), table
    assert SECRET.encode() not in all_db_bytes(db_path)
    assert SECRET[8:].encode() not in all_db_bytes(db_path)
    # The exception raised by the model layer carries no key either, traceback included.
    with pytest.raises(ModelCallError) as caught:
        client.structured(extraction_messages(make_article(TINY, "tiny.txt")), ArticleExtraction, "extract")
    assert SECRET not in str(caught.value)
    assert SECRET not in "".join(traceback.format_exception(caught.value))
    assert all(SECRET not in (c.error or "") for c in caught.value.calls)
    assert SECRET not in repr(client.settings)


def test_api_key_not_in_log_records(db_path, caplog):
    # With logging as a user gets it by default (warnings and errors), the failed call is
    # not logged with the key: instructor's own per-attempt error log is silenced, and
    # the attempt is recorded, scrubbed, in model_calls instead.
    caplog.set_level(logging.WARNING)
    extract_tiny(mock_client(key_echoing_handler(401), api_key=SECRET), db_path)
    assert SECRET not in caplog.text


class _KeyEchoServer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def key_echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeyEchoServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_cli_never_prints_or_stores_the_key(db_path, key_echo_url):
    article = db_path.parent / "a.txt"
    article.write_text(TINY)
    result = invoke(
        [
            "extract",
            article,
            "--db",
            db_path,
            "--base-url",
            key_echo_url,
            "--model",
            "m",
            "--api-key",
            SECRET,
            "--retries",
            "0",
            "--silent",
        ]
    )
    assert result.exit_code == 1
    assert "HTTP 401" in result.output
    assert SECRET not in result.output
    assert SECRET.encode() not in all_db_bytes(db_path)


def test_api_key_from_environment_is_not_stored(db_path, key_echo_url, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    article = db_path.parent / "a.txt"
    article.write_text(TINY)
    result = invoke(
        ["extract", article, "--db", db_path, "--base-url", key_echo_url, "--model", "m", "--retries", "0", "--silent"]
    )
    assert result.exit_code == 1
    assert SECRET not in result.output
    assert SECRET.encode() not in all_db_bytes(db_path)


# --- replay mismatches --------------------------------------------------------------


def test_replay_mismatch_raises_with_the_rerecord_command(seed_text):
    article = make_article(seed_text("000"), "000.txt")
    client = ModelClient(reference_settings(http_retries=FAULT_HTTP_RETRIES), sleep=lambda s: None)
    with (
        cassette(FAULT_CASSETTES / "rate_limit_then_ok.yaml"),
        pytest.raises(ReplayMismatchError) as caught,
    ):
        client.structured(extraction_messages(article), ArticleExtraction, purpose="extract")
    assert "python -m extractor.recording.record" in str(caught.value)
    assert caught.value.attempts == 1  # not retried as if it were a network error


def test_replay_mismatch_is_recorded_as_the_article_error(db_path):
    # rate_limit_then_ok.yaml holds requests about seed 001 only.
    report, waits = replay("rate_limit_then_ok.yaml", ["000_4952263365a5a737.txt"], db_path)
    assert waits == []
    assert report.totals.failed == 1
    (extraction,) = query(db_path, "SELECT * FROM extractions")
    assert extraction["article_id"] == SEED_IDS["000"]
    assert extraction["status"] == "failed"
    assert "No recorded response matches this request" in extraction["error"]
    assert "python -m extractor.recording.record" in extraction["error"]
    assert "python -m extractor.recording.record" in report.errors[0]["error"]


def test_missing_cassette_names_the_record_command(tmp_path):
    with (
        pytest.raises(FileNotFoundError, match="python -m extractor.recording.record"),
        cassette(tmp_path / "none.yaml"),
    ):
        pass


def test_a_key_echoed_in_a_successful_answer_is_not_stored(db_path):
    def handler(request: httpx2.Request) -> httpx2.Response:
        body = completion_body(json.dumps({"claims": []}))
        body["id"] = f"chatcmpl-echo-{SECRET}"  # a server that echoes the key back
        return httpx2.Response(200, json=body)

    db = store.open_db(db_path)
    report = run_extraction(db, [make_article(TINY, "a.txt")], mock_client(handler, api_key=SECRET))
    assert report.totals.extracted == 1
    assert SECRET.encode() not in all_db_bytes(db_path)
    assert "[redacted]" in query(db_path, "SELECT response_json FROM model_calls")[0]["response_json"]


@pytest.mark.parametrize(
    "url", [f"http://user:{SECRET}@127.0.0.1:8000/v1", f"http://127.0.0.1:8000/v1?api-key={SECRET}#{SECRET}"]
)
def test_credentials_in_a_base_url_are_not_stored(db_path, url):
    db = store.open_db(db_path)
    run_id = store.start_run(db, "extract", "m", url, "json_schema", "h")
    assert query(db_path, "SELECT base_url FROM runs WHERE id = ?", [run_id])[0]["base_url"] == (
        "http://127.0.0.1:8000/v1"
    )
    assert SECRET.encode() not in all_db_bytes(db_path)


def test_a_key_a_server_echoes_never_reaches_a_recording(tmp_path, key_echo_url):
    from extractor.extraction.model import ModelSettings
    from extractor.recording.cassettes import cassette

    path = tmp_path / "echo.yaml"
    settings = ModelSettings(model="m", base_url=key_echo_url, api_key=SECRET, mode="json_schema", http_retries=0)
    with cassette(path, record=True, label="test", secrets=(SECRET,)):
        db = store.open_db(tmp_path / "t.db")
        report = run_extraction(db, [make_article(TINY, "a.txt")], ModelClient(settings))
    assert report.totals.failed == 1
    text = path.read_text("utf-8")
    assert "Incorrect API key provided" in text and "[redacted]" in text
    assert SECRET not in text


def test_a_dead_endpoint_stops_the_run_after_a_few_articles_with_one_message(tmp_path, db_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(20):
        (folder / f"a{i:02}.txt").write_text(f"Article {i}: both sides agreed a ceasefire in village {i} on Monday.")
    # Nothing listens on port 9 of localhost.
    args = ["extract", folder, "--db", db_path, "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    result = invoke([*args, "--retries", "0", "--concurrency", "1", "--silent"])
    assert result.exit_code == 1
    assert result.output.count("cannot be reached") == 1
    assert "run the same command again" in result.output
    tried = query(db_path, "SELECT COUNT(*) AS n FROM extractions")[0]["n"]
    assert 3 <= tried <= 5  # stopped after 3 in a row (+ calls already in flight); the rest untouched


def test_a_dead_endpoint_with_calls_still_queued_stores_every_call_made_and_no_other(monkeypatch, db_path):
    """With two calls in flight the endpoint is found down while later articles wait their
    turn: those are cancelled and left for a re-run; every article that was tried is
    stored once, and the run ends with its message instead of an error."""
    import extractor.pipeline as pipeline

    tried: list[str] = []

    def unreachable(article, client, *options):
        tried.append(article.id)
        time.sleep({"a00.txt": 0.0, "a01.txt": 0.0, "a02.txt": 0.2}.get(article.source, 0.6))
        return ArticleExtractionResult(article, error="cannot connect", unreachable=True)

    monkeypatch.setattr(pipeline, "extract_article", unreachable)
    items = [
        make_article(f"Article {i}: both sides agreed a ceasefire in village {i}.", f"a{i:02}.txt") for i in range(12)
    ]
    db = store.open_db(db_path)
    report = run_extraction(db, items, mock_client(lambda request: httpx2.Response(500)), concurrency=2)
    assert report.stopped and "cannot be reached" in report.stopped
    stored = [row["article_id"] for row in query(db_path, "SELECT article_id FROM extractions")]
    assert sorted(stored) == sorted(tried) and len(tried) < len(items)


@pytest.mark.parametrize("answer", ["{}", '{"truce_claims": []}'])
def test_an_answer_without_the_claims_list_is_reasked_then_failed_never_stored_as_empty(db_path, answer):
    seen = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return httpx2.Response(200, json=completion_body(answer))

    db = store.open_db(db_path)
    report = run_extraction(db, [make_article(TINY, "a.txt")], mock_client(handler, validation_retries=1))
    assert (report.totals.extracted, report.totals.failed) == (0, 1)
    assert len(seen) == 2  # asked, then re-asked once with the reason
    assert '"claims" list' in seen[1]["messages"][-1]["content"]
    assert '"claims" list' in report.errors[0]["error"]
    (extraction,) = query(db_path, "SELECT status FROM extractions")
    assert extraction["status"] == "failed"


def test_a_cut_off_answer_says_so_and_its_call_is_not_logged_as_ok(db_path):
    def handler(request: httpx2.Request) -> httpx2.Response:
        body = completion_body('{"claims": [{"kind": "agreement", "summ')
        body["choices"][0]["finish_reason"] = "length"
        return httpx2.Response(200, json=body)

    db = store.open_db(db_path)
    report = run_extraction(db, [make_article(TINY, "a.txt")], mock_client(handler, validation_retries=0))
    assert report.totals.failed == 1
    assert "cut off" in report.errors[0]["error"]
    assert {c["status"] for c in query(db_path, "SELECT status FROM model_calls")} == {"truncated"}


def test_an_answer_with_no_choices_says_what_the_server_sent(db_path):
    def handler(request: httpx2.Request) -> httpx2.Response:
        body = completion_body("{}")
        body["choices"] = []
        return httpx2.Response(200, json=body)

    db = store.open_db(db_path)
    report = run_extraction(db, [make_article(TINY, "a.txt")], mock_client(handler, validation_retries=0))
    assert report.totals.failed == 1
    error = report.errors[0]["error"]
    assert "no choices" in error.lower() and "list index out of range" not in error


def test_cached_prompt_tokens_are_recorded_where_the_server_reports_them(db_path):
    def handler(request: httpx2.Request) -> httpx2.Response:
        body = completion_body('{"claims": []}')
        body["usage"] = {
            "prompt_tokens": 3000,
            "completion_tokens": 5,
            "total_tokens": 3005,
            "prompt_tokens_details": {"cached_tokens": 2816},
        }
        return httpx2.Response(200, json=body)

    report = extract_tiny(mock_client(handler), db_path)
    assert report.totals.extracted == 1
    assert query(db_path, "SELECT cached_tokens FROM model_calls") == [{"cached_tokens": 2816}]


def test_a_logged_request_rebuilds_exactly_with_awkward_characters_in_the_article(db_path):
    """The article inside a logged request is a reference to the articles table; the view
    model_call_requests escapes it back exactly as it was sent."""
    text = 'Both sides agreed a truce.\t"Quoted" \\ back\\slash \u2028 line sep \u00e9t\u00e9 \x7f end\r\n'
    text += "More text here."
    sent: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request.content)
        return httpx2.Response(200, json=completion_body('{"claims": []}'))

    db = store.open_db(db_path)
    run_extraction(db, [make_article(text * 3, "awkward.txt")], mock_client(handler), concurrency=1)
    (row,) = query(db_path, "SELECT request_json FROM model_calls")
    assert "@article:" in row["request_json"]
    (rebuilt,) = query(db_path, "SELECT request_json FROM model_call_requests")
    assert json.loads(rebuilt["request_json"]) == json.loads(sent[0])


# --- what goes on the wire ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["json_schema", "tools", "json_object"])
def test_the_request_sent_is_the_request_the_sdk_would_send(mode):
    """The body is encoded once and posted through the SDK's `post` (issue 9): for the
    arguments instructor really passes, the request must be the one the SDK's own
    `chat.completions.create` sends: the same JSON, URL, headers and timeout."""
    sent: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        body = json.loads(request.content)
        if body.get("tools"):
            name = body["tools"][0]["function"]["name"]
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": name, "arguments": '{"claims": []}'}}
            ]}  # fmt: skip
            answer = completion_body("")
            answer["choices"][0]["message"] = message
            return httpx2.Response(200, json=answer)
        return httpx2.Response(200, json=completion_body('{"claims": []}'))

    settings = ModelSettings(model="mock", base_url="http://127.0.0.1:9/v1", api_key="sk-test", mode=mode)
    client = ModelClient(settings, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    result = client.structured(extraction_messages(make_article(TINY, "tiny.txt")), ArticleExtraction, "extract")
    assert result.value.claims == [] and len(sent) == 1
    given = result.calls[0].request  # what instructor passed to create (its hook's record)
    assert set(given) >= {"model", "messages"}

    sdk = client._clients()[0]
    assert "chat" not in vars(sdk)  # instructor wraps our create: the SDK's chat resource was never made
    sdk.chat.completions.create(**given)  # the SDK's own method, same arguments
    mine, theirs = sent
    assert json.loads(mine.content) == json.loads(theirs.content)
    assert mine.url == theirs.url and mine.method == theirs.method == "POST"
    differ = {"content-length"}  # the SDK's JSON has spaces after separators, orjson's not
    assert {k: v for k, v in mine.headers.items() if k not in differ} == {
        k: v for k, v in theirs.headers.items() if k not in differ
    }
    assert mine.headers["authorization"] == "Bearer sk-test"
    assert mine.extensions["timeout"] == theirs.extensions["timeout"]


@pytest.mark.parametrize("mode", list(_INSTRUCTOR_MODES))
def test_instructor_is_set_up_as_from_openai_would_set_it_up(mode):
    """instructor wraps our create (`instructor.patch(create=)`) instead of the SDK's: for
    the same messages it must send what `instructor.from_openai` would have sent."""
    bodies: list[dict] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return httpx2.Response(500, json={"error": {"message": "not needed"}})  # the request is what counts

    def mock() -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(handler))

    settings = ModelSettings(
        model="mock", base_url="http://127.0.0.1:9/v1", api_key="sk-test", mode=mode, http_retries=0
    )
    messages = extraction_messages(make_article(TINY, "tiny.txt"))
    with pytest.raises(ModelCallError):
        ModelClient(settings, http_client=mock()).structured(messages, ArticleExtraction, "extract")
    sdk = openai.OpenAI(api_key="sk-test", base_url=settings.base_url, max_retries=0, http_client=mock())
    theirs = instructor.from_openai(sdk, mode=_INSTRUCTOR_MODES[mode])
    extra = {
        "extra_body": {"response_format": {"type": "json_object", "schema": ArticleExtraction.model_json_schema()}}
    }
    with pytest.raises(Exception):  # noqa: B017 - the mock server's 500
        theirs.chat.completions.create(
            model="mock", messages=messages, response_model=ArticleExtraction, max_retries=0,
            temperature=settings.temperature, **(extra if mode == "json_object" else {}),
        )  # fmt: skip
    ours, sent = bodies
    assert ours == sent


def test_a_body_orjson_cannot_encode_goes_the_sdks_own_way():
    sent: list[dict] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        return httpx2.Response(200, json=completion_body('{"claims": []}'))

    client = mock_client(handler)
    create = _create_as_is(client._clients()[0])
    create(model="mock", messages=[{"role": "user", "content": "hi"}], metadata={"n": 1 << 70})
    assert sent[-1]["metadata"] == {"n": 1 << 70}  # too big for orjson; the SDK encodes it
