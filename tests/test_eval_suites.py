"""Every eval suite, replayed with every one of its recordings, against its thresholds.

This is the CI gate on quality: a change to the prompt, the schema, the grounding or the
cross-check that lowers a score below `evals/suites/<suite>/thresholds.toml` fails here.
The `reference` recording serves the gold itself, so it must score 1.0 on claims.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlite_utils import Database

from extractor.evals.run import run_eval
from extractor.evals.suite import check_suite, load_suite

SUITES = sorted(p for p in (Path(__file__).resolve().parent.parent / "evals" / "suites").iterdir() if p.is_dir())
RUNS = [(suite, name) for suite in SUITES for name in sorted(load_suite(suite).recordings)]


@pytest.mark.parametrize("suite", SUITES, ids=lambda p: p.name)
def test_suite_is_valid_and_has_a_reference_recording(suite: Path):
    loaded = load_suite(suite)
    assert check_suite(loaded) == []
    assert "reference" in loaded.recordings
    assert loaded.thresholds, f"{suite.name} has no thresholds.toml"


@pytest.mark.parametrize(("suite", "recording"), RUNS, ids=[f"{s.name}-{r}" for s, r in RUNS])
def test_replay_meets_the_suite_thresholds(suite: Path, recording: str):
    run = run_eval(load_suite(suite), recording=recording)
    assert run.thresholds_apply, f"thresholds.toml of {suite.name} has no [{recording}] section"
    assert run.passed, run.threshold_failures
    if recording == "reference":
        claims = run.summary()["claims"]
        assert (claims["precision"], claims["recall"], claims["f1"]) == (1.0, 1.0, 1.0)
        assert run.summary()["grounding"]["grounded_share"] == 1.0


@pytest.mark.parametrize("suite", SUITES, ids=lambda p: p.name)
def test_crosscheck_only_meets_the_suite_thresholds(suite: Path):
    run = run_eval(load_suite(suite), crosscheck_only=True)
    assert run.thresholds_apply, f"thresholds.toml of {suite.name} has no [crosscheck-only] section"
    assert run.passed, run.threshold_failures


@pytest.mark.parametrize(("suite", "recording"), RUNS, ids=[f"{s.name}-{r}" for s, r in RUNS])
def test_every_recording_says_what_produced_it_and_holds_no_key(suite: Path, recording: str):
    loaded = load_suite(suite).recording(recording)
    text = loaded.cassette.read_text("utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert f"# model: {loaded.model}" in " ".join(header) or any(f"model: {loaded.model}" in h for h in header)
    interactions = yaml.safe_load(text)["interactions"]
    assert interactions
    assert {json.loads(i["request"]["body"])["model"] for i in interactions} == {loaded.model}
    if loaded.model == "reference":
        assert "not a model" in header[0]
    lowered = text.lower()
    assert "authorization" not in lowered and "bearer " not in lowered and "sk-" not in lowered


def test_without_the_standard_names_entity_resolution_works_from_the_names_as_written(tmp_path: Path):
    dev = next(s for s in SUITES if s.name == "dev")
    run = run_eval(load_suite(dev), crosscheck_only=True, names_as_written=True, keep_db=tmp_path / "eval.db")
    db = Database(tmp_path / "eval.db")
    assert db.execute("SELECT count(*) FROM parties WHERE standard_name IS NOT NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM parties").fetchone()[0] > 0
    assert run.thresholds_apply, "thresholds.toml of dev has no [crosscheck-only names-as-written] section"
    assert run.passed, run.threshold_failures
