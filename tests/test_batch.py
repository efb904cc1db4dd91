"""The batch path (`truce batch prepare` / `truce batch ingest`), offline: the requests
are what the live client sends, and the answers, given in the OpenAI Batch API's output
format, are stored as a live run stores them.

The answers come from the reference server's own answer function (hand-written gold,
`extractor.recording.reference_server.answer`), so the round trip must give the claims
and conflicts of `truce demo`, which replays that server's recorded answers."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest
from truce_helpers import (
    SEED_IDS,
    SEEDS,
    completion_body,
    content_snapshot,
    count,
    invoke,
    mock_client,
    query,
    seed_path,
)

from extractor.batch import ledger
from extractor.batch.ingest import AWAITING_REASK
from extractor.crosscheck.run import run_crosscheck
from extractor.demo import run_demo
from extractor.extraction.cost import run_cost
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.pipeline import run_extraction
from extractor.read import read_articles
from extractor.recording.reference_server import ReferenceState, answer
from extractor.storage import store

DILLON = SEED_IDS["003"]  # the spokesperson's retraction: TV, then Twitter


@pytest.fixture(scope="module")
def reference() -> ReferenceState:
    return ReferenceState([])


def prepare(db: Path, out: Path, *args: object, model: str = "reference", mode: str | None = "json_schema"):
    extra = ["--mode", mode] if mode else []
    return invoke(["batch", "prepare", *args, "--db", db, "--out", out, "--model", model, *extra])


def ingest(db: Path, *results: Path):
    return invoke(["batch", "ingest", *results, "--db", db])


def request_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def write_lines(path: Path, lines: list[dict | str]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), "utf-8")
    return path


def result_line(request: dict, status: int, body: dict | None, error: object = None) -> dict:
    """One line of a batch output file (the OpenAI Batch API's format)."""
    number = request["custom_id"][-6:]
    response = None if status is None else {"status_code": status, "request_id": f"req_{number}", "body": body}
    return {"id": f"batch_req_{number}", "custom_id": request["custom_id"], "response": response, "error": error}


def answered(state: ReferenceState, requests: list[dict]) -> list[dict]:
    """Every request answered as the reference server answers it over HTTP."""
    lines = []
    for request in requests:
        status, _, body = answer(state, request["body"])
        lines.append(result_line(request, status, body))
    return lines


def extract_live(db: Path, article: Path, client: ModelClient, **options) -> None:
    """What `truce extract` does: extract, store, cross-check."""
    connection = store.open_db(db)
    run_extraction(connection, read_articles([article]), client, concurrency=1, **options)
    run_crosscheck(connection)


def content(db: Path) -> dict[str, list]:
    """The claims with their parties, chains and evidence, the articles, and the conflicts."""
    conflicts = query(db, "SELECT claim_a, claim_b, type, severity, reason, method FROM conflicts ORDER BY 1, 2, 3")
    return {**content_snapshot(db), "conflicts": conflicts}


# --- the round trip on the seeds ------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    run_demo(path)
    return path


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory, reference) -> tuple[Path, list[dict], object]:
    folder = tmp_path_factory.mktemp("batch")
    db, out = folder / "batch.db", folder / "batch.jsonl"
    prepared = prepare(db, out, SEEDS)
    assert prepared.exit_code == 0, prepared.output
    requests = request_lines(out)
    results = write_lines(folder / "results.jsonl", answered(reference, requests))
    ingested = ingest(db, results)
    return db, requests, ingested


def test_the_batch_round_trip_stores_the_demo_claims_and_conflicts(round_trip, demo_db):
    db, requests, ingested = round_trip
    assert ingested.exit_code == 0, ingested.output
    assert "Stored 5 article(s)" in ingested.output and "failed 0" in ingested.output
    assert len(requests) == 5
    stored, demo = content(db), content(demo_db)
    assert stored["claims"] and stored["conflicts"]
    assert stored == demo  # kind, parties, quotes, offsets, grounding, flags, chains; and the conflicts
    assert count(db, "extractions", "status = 'ok'") == 5


def test_batch_requests_are_what_the_live_client_sends(round_trip, demo_db):
    db, requests, _ = round_trip
    for request in requests:
        assert (request["method"], request["url"]) == ("POST", "/v1/chat/completions")
        article_id = request["custom_id"].split("-")[0]
        (call,) = query(
            demo_db, "SELECT id FROM model_calls WHERE article_id = ? AND purpose = 'extract'", [article_id]
        )
        assert request["body"] == store.full_request(store.open_db(demo_db), call["id"])
    assert len({r["custom_id"] for r in requests}) == 5


def test_ingested_answers_are_logged_and_counted_as_live_calls(round_trip, demo_db):
    db, _, _ = round_trip
    columns = "article_id, purpose, attempt, status, error, response_json, input_tokens, output_tokens"
    sql = f"SELECT {columns} FROM model_calls WHERE purpose = 'extract' ORDER BY article_id"
    assert query(db, sql) == query(demo_db, sql)
    (run,) = query(db, "SELECT * FROM runs WHERE command = 'batch ingest'")
    (demo_run,) = query(demo_db, "SELECT * FROM runs WHERE command = 'demo'")
    assert run["status"] == "completed" and run["articles_extracted"] == 5
    assert (run["input_tokens"], run["output_tokens"]) == (demo_run["input_tokens"], demo_run["output_tokens"])
    assert run["input_tokens"] > 0


def test_function_calling_requests_round_trip_too(tmp_path, reference, demo_db):
    """--mode tools (the default, OpenAI's): tools and tool_choice in the body, the answer
    in a tool call."""
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, SEEDS, mode=None).exit_code == 0
    requests = request_lines(out)
    assert all("tools" in r["body"] and "response_format" not in r["body"] for r in requests)
    lines = answered(reference, requests)
    assert all(line["response"]["body"]["choices"][0]["message"]["tool_calls"] for line in lines)
    assert ingest(db, write_lines(tmp_path / "results.jsonl", lines)).exit_code == 0
    assert content(db) == content(demo_db)


# --- re-runs --------------------------------------------------------------------------


def test_ingesting_the_same_results_again_changes_nothing(tmp_path, reference):
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, seed_path("003"), seed_path("001")).exit_code == 0
    results = write_lines(tmp_path / "results.jsonl", answered(reference, request_lines(out)))
    assert ingest(db, results).exit_code == 0
    before = content(db)
    rows = {table: count(db, table) for table in ("extractions", "model_calls", "claims", "conflicts")}

    again = ingest(db, results)
    assert again.exit_code == 0, again.output
    assert "Stored 0 article(s), skipped 2" in again.output
    assert content(db) == before
    assert {table: count(db, table) for table in rows} == rows


def test_prepare_skips_what_is_done_and_force_prepares_it_again(tmp_path, reference):
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, seed_path("003"), seed_path("001")).exit_code == 0
    first = request_lines(out)
    assert ingest(db, write_lines(tmp_path / "results.jsonl", answered(reference, first))).exit_code == 0

    again = prepare(db, out, seed_path("003"), seed_path("001"), seed_path("000"))
    assert again.exit_code == 0, again.output
    assert "skipped 2 already extracted" in again.output
    assert [r["custom_id"].split("-")[0] for r in request_lines(out)] == [SEED_IDS["000"]]

    assert prepare(db, out, seed_path("003"), seed_path("001"), "--force").exit_code == 0
    assert [r["custom_id"] for r in request_lines(out)] == [r["custom_id"] for r in first]


def test_articles_the_results_do_not_cover_stay_pending_and_force_prepares_them_again(tmp_path, reference):
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, seed_path("000"), seed_path("001"), seed_path("003")).exit_code == 0
    requests = request_lines(out)
    only_one = write_lines(tmp_path / "results.jsonl", answered(reference, requests[:1]))

    result = ingest(db, only_one)
    assert result.exit_code == 0, result.output
    assert "2 request(s) of this batch, for 2 article(s), have no answer" in result.output
    assert count(db, "extractions") == 1

    assert "truce batch prepare --force" in result.output
    again = prepare(db, out, seed_path("000"), seed_path("001"), seed_path("003"))
    assert again.exit_code == 0 and request_lines(out) == []  # their requests may still be answered
    assert "2 whose requests for this model, mode and prompt are in a batch not yet ingested" in again.output
    prefix = {article_id: prefix for prefix, article_id in SEED_IDS.items()}
    unanswered = [seed_path(prefix[r["custom_id"].split("-")[0]]) for r in requests[1:]]
    assert prepare(db, out, *unanswered, "--force").exit_code == 0
    assert [r["custom_id"] for r in request_lines(out)] == [r["custom_id"] for r in requests[1:]]


def test_preparing_again_before_ingesting_does_not_write_the_requests_again(tmp_path, reference):
    """The requests of a batch not yet ingested would be paid for twice; and an answer that
    waits for its article's other windows would be dropped."""
    db, out, again_out = tmp_path / "batch.db", tmp_path / "batch.jsonl", tmp_path / "again.jsonl"
    long = seed_path("004")
    assert prepare(db, out, seed_path("003"), long, "--window-chars", "2500").exit_code == 0
    first = request_lines(out)
    lines = answered(reference, first)
    (window,) = [line for line in lines if line["custom_id"].startswith(f"{SEED_IDS['004']}-extract-w0-")]
    part = ingest(db, write_lines(tmp_path / "part.jsonl", [window]))
    assert "1 answer(s) are kept until the other windows" in part.output

    again = prepare(db, again_out, seed_path("003"), long, seed_path("001"), "--window-chars", "2500")
    assert again.exit_code == 0, again.output
    assert [r["custom_id"].split("-")[0] for r in request_lines(again_out)] == [SEED_IDS["001"]]
    assert (
        "skipped 0 already extracted with this model and prompt and 2 whose requests for this model, mode and "
        "prompt are in a batch not yet ingested (--force prepares them)" in again.output
    )
    other_mode = prepare(db, again_out, seed_path("003"), mode="tools")
    assert len(request_lines(again_out)) == 1, other_mode.output  # another request: not skipped

    rest = ingest(db, write_lines(tmp_path / "rest.jsonl", [line for line in lines if line != window]))
    assert rest.exit_code == 0, rest.output
    assert "Stored 2 article(s)" in rest.output  # the waiting window's answer was kept

    assert prepare(db, again_out, seed_path("001"), "--force").exit_code == 0
    assert [r["custom_id"].split("-")[0] for r in request_lines(again_out)] == [SEED_IDS["001"]]


def test_an_answer_given_twice_is_stored_once(tmp_path, reference):
    """The same results file passed twice: each article is stored once, its calls and
    tokens counted once, and every repeated answer is named."""
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, seed_path("003"), seed_path("001")).exit_code == 0
    requests = request_lines(out)
    results = write_lines(tmp_path / "results.jsonl", answered(reference, requests))

    result = ingest(db, results, results)
    assert result.exit_code == 1
    assert "Stored 2 article(s)" in result.output
    for number, request in enumerate(requests, start=1):
        where = f"{results}:{number}"
        assert (
            f"{where}: a second answer to {request['custom_id']} (the first is at {where}); not used" in result.output
        )
    assert count(db, "extractions") == count(db, "extractions", "status = 'ok'") == 2  # none superseded
    assert count(db, "model_calls") == 2
    (run,) = query(db, "SELECT * FROM runs WHERE command = 'batch ingest'")
    (calls,) = query(db, "SELECT SUM(input_tokens) AS input, SUM(output_tokens) AS output FROM model_calls")
    assert (run["input_tokens"], run["output_tokens"]) == (calls["input"], calls["output"])


def test_a_window_answered_twice_leaves_its_article_stored_and_its_reask_due(tmp_path, reference):
    db, out, reask_out = tmp_path / "batch.db", tmp_path / "batch.jsonl", tmp_path / "reask.jsonl"
    assert prepare(db, out, seed_path("004"), "--window-chars", "2500").exit_code == 0
    requests = request_lines(out)
    lines = answered(reference, requests)
    last = lines[-1] = result_line(requests[-1], 200, misquoted(reference, requests[-1]["body"]))
    results = write_lines(tmp_path / "results.jsonl", [*lines, last])

    result = ingest(db, results)
    assert result.exit_code == 1
    first, repeat = f"{results}:{len(lines)}", f"{results}:{len(lines) + 1}"
    assert f"{repeat}: a second answer to {last['custom_id']} (the first is at {first}); not used" in result.output
    assert "Stored 1 article(s)" in result.output and "kept until" not in result.output
    assert {r["status"] for r in query(db, "SELECT status FROM batch_requests")} == {"ingested"}
    assert "1 article(s) have claims whose quotes do not align" in result.output

    assert invoke(["batch", "prepare", "--reask", "--out", reask_out, "--db", db]).exit_code == 0
    assert [r["custom_id"].split("-")[2] for r in request_lines(reask_out)] == [f"w{len(lines) - 1}"]


def test_a_stale_copy_of_a_request_cannot_move_it_back(tmp_path, reference):
    """Status changes only from the state the request was read in: an answer stored
    meanwhile (by another ingest) is never undone."""
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, seed_path("001")).exit_code == 0
    (request,) = request_lines(out)
    connection = store.open_db(db)
    (stale,) = ledger.by_custom_id(connection, [request["custom_id"]]).values()
    assert ingest(db, write_lines(tmp_path / "results.jsonl", answered(reference, [request]))).exit_code == 0

    with pytest.raises(ledger.StaleRequestError):
        ledger.save_answer(connection, stale, "{}")
    with pytest.raises(ledger.StaleRequestError):
        ledger.mark_done(connection, stale, ledger.FAILED, None, stale.prepare_run_id, None)
    (row,) = query(db, "SELECT status, extraction_id, result_json FROM batch_requests")
    assert row["status"] == "ingested" and row["extraction_id"] is not None and row["result_json"] is None


# --- failures ---------------------------------------------------------------------------


def test_error_lines_are_failed_articles_as_live_failures(tmp_path, reference):
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    seeds = [seed_path(prefix) for prefix in ("000", "001", "002", "003", "004")]
    assert prepare(db, out, *seeds).exit_code == 0
    requests = request_lines(out)
    good = answered(reference, requests)
    cut_off = json.loads(json.dumps(good[4]))
    choice = cut_off["response"]["body"]["choices"][0]
    choice["message"]["content"], choice["finish_reason"] = choice["message"]["content"][:200], "length"
    lines = [
        # OpenAI: a request that failed without an HTTP answer (in the batch's error file)
        result_line(requests[0], None, None, {"code": "batch_expired", "message": "This request expired."}),
        # an HTTP error status with its error body
        result_line(requests[1], 500, {"error": {"message": "Internal error", "type": "server_error"}}),
        # vLLM: a status, no body, the error as text
        result_line(requests[2], 400, None, "The model does not support Chat Completions API"),
        good[3],
        cut_off,  # cut off at the output token limit: a batch answer gets no second try
    ]
    result = ingest(db, write_lines(tmp_path / "results.jsonl", lines))

    assert result.exit_code == 1
    assert "Stored 1 article(s)" in result.output and "failed 4" in result.output
    failed = {r["article_id"]: r["error"] for r in query(db, "SELECT * FROM extractions WHERE status = 'failed'")}
    assert "batch_expired: This request expired." in failed[SEED_IDS["000"]]
    assert "HTTP 500" in failed[SEED_IDS["001"]] and "Internal error" in failed[SEED_IDS["001"]]
    assert "status 400" in failed[SEED_IDS["002"]] and "does not support" in failed[SEED_IDS["002"]]
    assert "cut off at the output token limit" in failed[SEED_IDS["004"]]
    for seed in (seeds[0], seeds[1], seeds[2], seeds[4]):
        assert f"failed {seed}: " in result.output
    for article_id in failed:
        calls = query(db, "SELECT * FROM model_calls WHERE article_id = ?", [article_id])
        assert len(calls) == 1  # the request is logged once, never tried again
        assert calls[0]["request_json"] and calls[0]["status"] in ("http_error", "truncated", "invalid_output")
    assert count(db, "claims", "article_id != ?", [DILLON]) == 0
    assert count(db, "claims", "article_id = ?", [DILLON]) > 0

    assert prepare(db, out, *seeds).exit_code == 0  # the failed articles are not done: a new batch asks again
    assert sorted(r["custom_id"] for r in request_lines(out)) == sorted(r["custom_id"] for r in lines if r != good[3])


def test_malformed_and_unknown_lines_are_named_and_the_others_ingested(tmp_path, reference):
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, seed_path("003"), seed_path("001")).exit_code == 0
    good = answered(reference, request_lines(out))
    unknown = {**good[0], "custom_id": "someone-elses-request-1"}
    lines = ['{"custom_id": "cut in half', good[0], "", '{"response": null}', unknown, good[1]]
    results = write_lines(tmp_path / "results.jsonl", lines)

    result = ingest(db, results)
    assert result.exit_code == 1
    assert f"line 1 of {results} is not a batch result line: not valid JSON" in result.output
    assert f"line 4 of {results} is not a batch result line: custom_id" in result.output
    assert f"{results}:5: no request 'someone-elses-request-1' was prepared in this database" in result.output
    assert "Stored 2 article(s)" in result.output
    assert count(db, "extractions", "status = 'ok'") == 2


@pytest.mark.parametrize(
    "column, message",
    [
        ("prompt_hash", "was prepared with another prompt (changed-since"),
        ("body_hash", "is not the one prepared (settings or libraries changed)"),
    ],
)
def test_an_answer_to_a_request_truce_would_not_send_now_is_not_ingested(tmp_path, reference, column, message):
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, seed_path("001")).exit_code == 0
    results = write_lines(tmp_path / "results.jsonl", answered(reference, request_lines(out)))
    connection = store.open_db(db)
    connection.execute(f"UPDATE batch_requests SET {column} = 'changed-since'")
    connection.conn.commit()

    result = ingest(db, results)
    assert result.exit_code == 1
    assert message in result.output
    assert count(db, "extractions") == 0 and count(db, "model_calls") == 0


# --- re-asks ----------------------------------------------------------------------------


def misquoted(state: ReferenceState, body: dict) -> dict:
    """The reference answer with the first claim's first quote replaced by words the
    article does not hold."""
    _, _, completion = answer(state, body)
    message = completion["choices"][0]["message"]
    claims = json.loads(message["content"])
    claims["claims"][0]["evidence"][0]["quote"] = "words this article never says about any truce"
    return completion_body(json.dumps(claims), model="mock")


def reference_body(state: ReferenceState, body: dict) -> dict:
    _, _, completion = answer(state, body)
    return completion_body(completion["choices"][0]["message"]["content"], model="mock")


@pytest.mark.parametrize("second_answer", ["corrected", "still misquoted"])
def test_the_reask_batch_asks_and_merges_as_the_live_reask(tmp_path, reference, second_answer):
    article = seed_path("003")
    sent: list[dict] = []

    def live_server(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        sent.append(body)
        first = len(sent) == 1 or second_answer == "still misquoted"
        return httpx2.Response(200, json=misquoted(reference, body) if first else reference_body(reference, body))

    live_db = tmp_path / "live.db"
    extract_live(live_db, article, mock_client(live_server))
    assert [s["messages"][-1]["role"] for s in sent] == ["user", "user"] and len(sent[1]["messages"]) == 4

    db, out, reask_out = tmp_path / "batch.db", tmp_path / "batch.jsonl", tmp_path / "reask.jsonl"
    assert prepare(db, out, article, model="mock").exit_code == 0
    (request,) = request_lines(out)
    assert request["body"] == sent[0]
    first = ingest(
        db, write_lines(tmp_path / "results.jsonl", [result_line(request, 200, misquoted(reference, request["body"]))])
    )
    assert first.exit_code == 0, first.output
    assert "1 article(s) have claims whose quotes do not align" in first.output
    (flagged,) = query(db, "SELECT * FROM claims WHERE grounding != 'grounded'")
    assert AWAITING_REASK in json.loads(flagged["flags"])

    reask = invoke(["batch", "prepare", "--reask", "--out", reask_out, "--db", db])
    assert reask.exit_code == 0, reask.output
    (reask_request,) = request_lines(reask_out)
    assert "-reask_ungrounded-" in reask_request["custom_id"]
    assert reask_request["body"] == sent[1]  # the live re-ask's messages: article, first answer, the reason

    again = invoke(["batch", "prepare", "--reask", "--out", tmp_path / "again.jsonl", "--db", db])
    assert again.exit_code == 0 and request_lines(tmp_path / "again.jsonl") == []  # not paid for twice
    assert "skipped 1 article(s) whose re-asks are in a batch not yet ingested" in again.output
    forced = invoke(["batch", "prepare", "--reask", "--force", "--out", tmp_path / "again.jsonl", "--db", db])
    assert forced.exit_code == 0 and request_lines(tmp_path / "again.jsonl") == [reask_request]

    answer_body = (
        misquoted(reference, sent[1]) if second_answer == "still misquoted" else reference_body(reference, sent[1])
    )
    second = ingest(db, write_lines(tmp_path / "reask-results.jsonl", [result_line(reask_request, 200, answer_body)]))
    assert second.exit_code == 0, second.output
    assert "with re-asks merged" in second.output
    assert content(db) == content(live_db)
    assert (count(db, "claims", "grounding != 'grounded'") > 0) == (second_answer == "still misquoted")

    nothing = invoke(["batch", "prepare", "--reask", "--out", reask_out, "--db", db])
    assert nothing.exit_code == 0 and "No claims await a re-ask" in nothing.output


# --- long articles in windows ---------------------------------------------------------


def test_a_long_article_is_asked_about_in_windows_and_stored_when_all_are_answered(tmp_path, reference, reference_url):
    article, window = seed_path("004"), "2500"  # 7,726 characters
    live_db = tmp_path / "live.db"
    live = ModelClient(ModelSettings(model="reference", base_url=reference_url, api_key="none", mode="json_schema"))
    extract_live(live_db, article, live, window_chars=2500)

    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, article, "--window-chars", window).exit_code == 0
    requests = request_lines(out)
    assert len(requests) > 1 and all("<excerpts>" in r["body"]["messages"][-1]["content"] for r in requests)
    lines = answered(reference, requests)

    part = ingest(db, write_lines(tmp_path / "first.jsonl", lines[:1]))
    assert part.exit_code == 0, part.output
    assert "kept until the other windows of their article are answered" in part.output
    assert count(db, "extractions") == 0

    rest = ingest(db, write_lines(tmp_path / "rest.jsonl", lines[1:]))
    assert rest.exit_code == 0, rest.output
    assert "Stored 1 article(s)" in rest.output
    assert content(db) == content(live_db)
    assert count(db, "model_calls") == count(live_db, "model_calls") == len(requests)


def test_commands_explain_what_they_need(tmp_path):
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    no_model = invoke(["batch", "prepare", seed_path("001"), "--out", out, "--db", db])
    assert no_model.exit_code == 2 and "--model" in no_model.output
    paths_and_reask = invoke(["batch", "prepare", seed_path("001"), "--reask", "--out", out, "--db", db])
    assert paths_and_reask.exit_code == 2 and "--reask takes no PATH" in paths_and_reask.output
    missing = invoke(["batch", "ingest", tmp_path / "nothing.jsonl", "--db", db])
    assert missing.exit_code == 1 and "There is no database" in missing.output


def test_an_ingested_batch_is_priced_at_the_batch_discount(tmp_path, reference):
    db, out = tmp_path / "batch.db", tmp_path / "batch.jsonl"
    assert prepare(db, out, seed_path("003"), model="gpt-4o-mini").exit_code == 0
    result = ingest(db, write_lines(tmp_path / "results.jsonl", answered(reference, request_lines(out))))
    assert result.exit_code == 0, result.output
    (run,) = query(db, "SELECT * FROM runs WHERE command = 'batch ingest'")
    live = run_cost("gpt-4o-mini", run["input_tokens"], run["cached_tokens"], run["output_tokens"])
    assert run["input_tokens"] > 0 and run["price_source"] == "table"
    assert run["cost_usd"] == pytest.approx(live.usd / 2)
    assert "(batch)" in result.output
