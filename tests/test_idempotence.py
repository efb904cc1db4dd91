"""Running again is safe: done articles are skipped, --force replaces, an interrupted
run can be resumed, concurrency does not change the result, duplicates are extracted once.

Everything goes through the live in-process reference server (`reference_url`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from truce_helpers import (
    SEED_IDS,
    content_snapshot,
    count,
    extract_cli,
    invoke,
    query,
    reference_claim_count,
    seed_path,
)

from extractor.extraction.model import ModelClient, ModelSettings
from extractor.pipeline import Event, run_extraction
from extractor.read import read_articles
from extractor.storage import store

EXTRACTION_PURPOSES = "purpose IN ('extract', 'reask_ungrounded')"


def extract_runs(db: Path) -> list[dict]:
    return query(db, "SELECT * FROM runs WHERE command = 'extract' ORDER BY id")


def client_for(url: str) -> ModelClient:
    return ModelClient(ModelSettings(model="reference", base_url=url, api_key="not-needed", mode="json_schema"))


def test_second_run_skips_everything(seeds_dir, db_path, reference_url):
    first = extract_cli([seeds_dir], db_path, reference_url)
    assert first.exit_code == 0, first.output
    before = content_snapshot(db_path)
    calls_before = count(db_path, "model_calls")
    assert count(db_path, "model_calls", EXTRACTION_PURPOSES) == 5

    second = extract_cli([seeds_dir], db_path, reference_url)
    assert second.exit_code == 0, second.output
    assert "skipped 5" in second.output
    assert count(db_path, "model_calls") == calls_before  # the model was not called again
    runs = extract_runs(db_path)
    assert len(runs) == 2
    assert runs[1]["articles_skipped"] == 5
    assert runs[1]["articles_extracted"] == 0
    assert runs[1]["input_tokens"] == 0
    assert content_snapshot(db_path) == before  # no row duplicated or changed
    assert count(db_path, "extractions") == 5
    assert count(db_path, "claims") == reference_claim_count()


def test_skip_message_mentions_force(db_path, reference_url):
    assert extract_cli([seed_path("001")], db_path, reference_url).exit_code == 0
    loud = invoke(["extract", seed_path("001"), "--db", db_path, "--base-url", reference_url, "--model", "reference"])
    assert loud.exit_code == 0, loud.output
    assert "skipped" in loud.output and "--force" in loud.output


def test_force_reextracts_and_replaces(seeds_dir, db_path, reference_url):
    assert extract_cli([seeds_dir], db_path, reference_url).exit_code == 0
    before = content_snapshot(db_path)
    ids_before = [r["id"] for r in query(db_path, "SELECT id FROM claims ORDER BY id")]
    old_extractions = {r["id"] for r in query(db_path, "SELECT id FROM extractions")}

    forced = extract_cli([seeds_dir], db_path, reference_url, "--force")
    assert forced.exit_code == 0, forced.output
    assert "Extracted 5 article(s), skipped 0" in forced.output
    assert count(db_path, "model_calls", EXTRACTION_PURPOSES) == 10  # called again
    assert [r["id"] for r in query(db_path, "SELECT id FROM claims ORDER BY id")] == ids_before
    assert content_snapshot(db_path) == before  # same content, nothing duplicated
    extractions = query(db_path, "SELECT * FROM extractions ORDER BY id")
    assert len(extractions) == 10
    for row in extractions:
        expected = "superseded" if row["id"] in old_extractions else "ok"
        assert row["status"] == expected, row
    # Claims now hang off the new extractions.
    current = {r["extraction_id"] for r in query(db_path, "SELECT DISTINCT extraction_id FROM claims")}
    assert current.isdisjoint(old_extractions)
    # The full-text index follows the replaced rows.
    found = list(store.query_claims(store.open_db(db_path), store.ClaimFilters(search="Amiri")))
    assert [c["id"] for c in found] == [f"{SEED_IDS['003']}-5"]
    # A third plain run skips again.
    again = extract_cli([seeds_dir], db_path, reference_url)
    assert "skipped 5" in again.output


def test_force_on_one_article_leaves_the_others(seeds_dir, db_path, reference_url):
    assert extract_cli([seeds_dir], db_path, reference_url).exit_code == 0
    assert extract_cli([seed_path("004")], db_path, reference_url, "--force").exit_code == 0
    superseded = query(db_path, "SELECT article_id FROM extractions WHERE status = 'superseded'")
    assert superseded == [{"article_id": SEED_IDS["004"]}]
    assert count(db_path, "claims") == reference_claim_count()


def test_resume_after_partial_run_matches_full_run(seeds_dir, tmp_path, reference_url):
    full = tmp_path / "full.db"
    assert extract_cli([seeds_dir], full, reference_url).exit_code == 0

    resumed = tmp_path / "resumed.db"
    assert extract_cli([seed_path("000"), seed_path("001")], resumed, reference_url).exit_code == 0
    rerun = extract_cli([seeds_dir], resumed, reference_url)
    assert rerun.exit_code == 0, rerun.output
    assert "Extracted 3 article(s), skipped 2" in rerun.output
    assert content_snapshot(resumed) == content_snapshot(full)


def test_keyboard_interrupt_then_rerun_matches_full_run(seeds_dir, tmp_path, reference_url):
    full = tmp_path / "full.db"
    assert extract_cli([seeds_dir], full, reference_url).exit_code == 0

    interrupted = tmp_path / "interrupted.db"
    db = store.open_db(interrupted)
    seen: list[Event] = []

    def on_event(event: Event) -> None:
        seen.append(event)
        if event.kind == "extracted":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_extraction(db, read_articles([seeds_dir]), client_for(reference_url), concurrency=1, on_event=on_event)
    assert [e.kind for e in seen] == ["extracted"]
    (run,) = query(interrupted, "SELECT * FROM runs")
    assert run["status"] == "interrupted"
    assert run["finished_at"]
    assert count(interrupted, "extractions", "status = 'ok'") == 1  # the finished article is saved

    rerun = extract_cli([seeds_dir], interrupted, reference_url)
    assert rerun.exit_code == 0, rerun.output
    assert "skipped 1" in rerun.output
    assert content_snapshot(interrupted) == content_snapshot(full)
    assert count(interrupted, "extractions") == 5


def test_cli_reports_interrupt_as_a_message(seeds_dir, db_path, reference_url, monkeypatch):
    import extractor.commands.extract as extract_command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(extract_command, "run_extraction", interrupted)
    result = extract_cli([seeds_dir], db_path, reference_url)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Interrupted" in result.output and "run the same command again" in result.output


def test_concurrency_8_matches_concurrency_1(seeds_dir, tmp_path, reference_url):
    one, eight = tmp_path / "one.db", tmp_path / "eight.db"
    assert extract_cli([seeds_dir], one, reference_url, "--concurrency", "1").exit_code == 0
    assert extract_cli([seeds_dir], eight, reference_url, "--concurrency", "8").exit_code == 0
    assert content_snapshot(one) == content_snapshot(eight)


def test_same_text_twice_in_one_run_is_extracted_once(tmp_path, db_path, reference_url):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_path("004"), folder / "a.txt")
    shutil.copy(seed_path("004"), folder / "b.txt")
    result = extract_cli([folder], db_path, reference_url)
    assert result.exit_code == 0, result.output
    assert "Extracted 1 article(s), skipped 1" in result.output
    assert count(db_path, "model_calls", EXTRACTION_PURPOSES) == 1
    assert count(db_path, "articles") == 1
    assert count(db_path, "extractions") == 1
    assert count(db_path, "claims") == 6


def test_a_run_interrupted_before_its_crosscheck_finds_every_conflict_when_run_again(
    tmp_path, reference_url, seeds_dir
):
    # The first run stores seed 003 but stops before its cross-check (as a kill -9 would);
    # the second run has nothing new to extract and must still find 003's conflicts.
    db_path = tmp_path / "t.db"
    seed_003 = next(seeds_dir.glob("003_*.txt"))
    first = extract_cli([seed_003], db_path, reference_url, "--no-crosscheck")
    assert first.exit_code == 0, first.output
    assert query(db_path, "SELECT COUNT(*) AS n FROM conflicts")[0]["n"] == 0
    again = extract_cli([seed_003], db_path, reference_url)
    assert again.exit_code == 0, again.output
    types = {r["type"] for r in query(db_path, "SELECT type FROM conflicts")}
    assert {"retraction", "existence"} <= types


def test_a_run_whose_process_died_is_marked_interrupted_when_the_database_is_next_opened(db_path):
    import subprocess
    import sys

    db = store.open_db(db_path)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    killed = store.start_run(db, "extract", "m")
    db.execute("UPDATE runs SET pid = ? WHERE id = ?", [dead_pid, killed])
    db.conn.commit()
    alive = store.start_run(db, "extract", "m")  # this process: still running
    store.open_db(db_path)
    statuses = {r["id"]: r["status"] for r in query(db_path, "SELECT id, status FROM runs")}
    assert statuses == {killed: "interrupted", alive: "running"}


def test_metadata_overrides_reach_an_article_already_extracted_without_a_model_call(db_path, reference_url):
    # Seed 003 has no date of its own, so "on Friday" stays unknown until --published gives one.
    article = SEED_IDS["003"]
    assert extract_cli([seed_path("003")], db_path, reference_url).exit_code == 0
    before = count(db_path, "model_calls")
    assert query(db_path, "SELECT event_date FROM claims WHERE article_id = ? AND event_date_text = 'on Friday'",
                 [article])[0]["event_date"] is None  # fmt: skip
    again = extract_cli(
        [seed_path("003")], db_path, reference_url, "--publisher", "Kurdistan 24", "--published", "2015-04-08"
    )
    assert again.exit_code == 0, again.output
    assert count(db_path, "model_calls") == before  # skipped: no model call
    (row,) = query(db_path, "SELECT publisher, published FROM articles WHERE id = ?", [article])
    assert row == {"publisher": "Kurdistan 24", "published": "2015-04-08"}
    claims = query(db_path, "SELECT publisher, event_date, event_date_text FROM claims WHERE article_id = ?", [article])
    assert {c["publisher"] for c in claims} == {"Kurdistan 24"}
    assert {c["event_date"] for c in claims if c["event_date_text"] == "on Friday"} == {"2015-04-03"}
    publishers = query(
        db_path,
        "SELECT DISTINCT name FROM attributions WHERE role = 'publisher' AND claim_id IN "
        "(SELECT id FROM claims WHERE article_id = ?)",
        [article],
    )
    assert publishers == [{"name": "Kurdistan 24"}]
