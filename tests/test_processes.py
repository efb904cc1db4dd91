"""Model calls in worker processes (extractor/extraction/processes.py): the database ends
the same as with threads in one process, and a failure costs one article."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from truce_helpers import content_snapshot, query, run_truce

from extractor.extraction import processes
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.pipeline import default_processes, run_extraction
from extractor.read import read_articles
from extractor.storage import store


def extract(db_path, url, seeds_dir, processes_: int):
    db = store.open_db(db_path)
    client = ModelClient(ModelSettings(model="reference", base_url=url, api_key="x", mode="json_schema"))
    return run_extraction(db, read_articles([seeds_dir]), client, concurrency=4, processes=processes_)


def test_worker_processes_store_what_one_process_stores(reference_url, seeds_dir, tmp_path):
    one = extract(tmp_path / "one.db", reference_url, seeds_dir, 1)
    two = extract(tmp_path / "two.db", reference_url, seeds_dir, 2)
    assert (two.totals.extracted, two.totals.failed) == (one.totals.extracted, 0) == (5, 0)
    assert two.totals.input_tokens == one.totals.input_tokens
    assert content_snapshot(tmp_path / "two.db") == content_snapshot(tmp_path / "one.db")
    again = extract(tmp_path / "two.db", reference_url, seeds_dir, 2)
    assert (again.totals.extracted, again.totals.skipped) == (0, 5)


def test_a_run_with_nothing_left_to_extract_starts_no_worker_and_no_model_client(
    monkeypatch, reference_url, seeds_dir, tmp_path
):
    extract(tmp_path / "t.db", reference_url, seeds_dir, 2)

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started for articles that are all extracted")

    monkeypatch.setattr("extractor.pipeline.WorkerPool", no_pool)
    db = store.open_db(tmp_path / "t.db")
    client = ModelClient(ModelSettings(model="reference", base_url=reference_url, api_key="x", mode="json_schema"))
    again = run_extraction(db, read_articles([seeds_dir]), client, concurrency=4, processes=2)
    assert (again.totals.extracted, again.totals.skipped) == (0, 5)
    assert client._made is None  # the SDK's client was never made


def test_an_unexpected_error_in_a_worker_costs_one_article(monkeypatch, reference_url, seeds_dir, tmp_path):
    real = processes.extract_article

    def breaks_on_seed_003(article, *args):
        if article.id.startswith("410fb558418070a2"):
            raise RuntimeError("boom")
        return real(article, *args)

    monkeypatch.setattr(processes, "extract_article", breaks_on_seed_003)  # forked workers inherit it
    report = extract(tmp_path / "t.db", reference_url, seeds_dir, 2)
    assert (report.totals.extracted, report.totals.failed) == (4, 1)
    assert report.errors[0]["error"] == "internal error: RuntimeError: boom"


def test_a_worker_process_per_16_calls_in_flight_from_32_and_at_most_two_per_core(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    assert [default_processes(c) for c in (8, 31, 32, 48, 64)] == [1, 1, 2, 3, 4]
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    assert [default_processes(c) for c in (32, 64, 128)] == [2, 4, 4]
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {3})
    assert default_processes(64) == 1


@pytest.mark.skipif(shutil.which("taskset") is None, reason="needs util-linux's taskset")
def test_the_cores_counted_are_those_the_process_may_use():
    """On a machine with more cores than this process is allowed (a container, taskset),
    the processes follow the cores it may use."""
    one_core = str(min(os.sched_getaffinity(0)))
    code = "from extractor.pipeline import *; print(usable_cores(), default_processes(64))"
    child = subprocess.run(
        ["taskset", "-c", one_core, sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert child.stdout.split() == ["1", "1"]


def test_a_worker_process_that_dies_fails_its_articles_and_the_run_ends(
    monkeypatch, reference_url, seeds_dir, tmp_path
):
    real = processes.extract_article

    def dies_on_seed_003(article, *args):
        if article.id.startswith("410fb558418070a2"):
            os._exit(3)  # as the out-of-memory killer or a crash would end it
        return real(article, *args)

    monkeypatch.setattr(processes, "extract_article", dies_on_seed_003)
    report = extract(tmp_path / "t.db", reference_url, seeds_dir, 2)
    assert report.totals.extracted + report.totals.failed == 5
    assert report.totals.failed >= 1
    assert all("exited with code 3" in e["error"] for e in report.errors)
    failed = {
        r["article_id"] for r in query(tmp_path / "t.db", "SELECT article_id FROM extractions WHERE status = 'failed'")
    }
    assert "410fb558418070a2" in failed


def test_a_command_with_worker_processes_ends_with_its_database_closed(reference_url, seeds_dir, tmp_path):
    # The command exits without the interpreter's teardown, and the worker pool froze the
    # objects (the database connection among them) out of the collector's reach: the
    # connection must still be closed, its write-ahead log checkpointed into the file.
    db = tmp_path / "t.db"
    args = ["extract", str(seeds_dir), "--db", str(db), "--base-url", reference_url, "--model", "reference"]
    args += ["--mode", "json_schema", "--concurrency", "32", "--processes", "2", "--no-crosscheck"]
    done = run_truce(*args)
    assert done.returncode == 0, done.stderr
    assert "Extracted 5 article(s)" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db"]
    assert query(db, "SELECT COUNT(*) AS n FROM extractions WHERE status = 'ok'")[0]["n"] == 5
