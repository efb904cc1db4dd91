"""`truce eval`: suites validated, predictions scored, runs stored and compared.

The replay of every suite and recording against its thresholds is in
test_eval_suites.py; this module checks the scoring rules and the command's behaviour.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import cli
from extractor.evals.run import run_eval
from extractor.evals.score import PredictedClaim, PredictedConflict, PredictedParty, score
from extractor.evals.suite import SuiteError, check_suite, load_suite
from extractor.extraction.model import ModelSettings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "suites" / "seeds"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# --- the suite format -------------------------------------------------------------------


def test_check_passes_on_the_bundled_seeds_suite():
    result = _invoke("eval", "check", str(SEEDS))
    assert result.exit_code == 0, result.output
    assert "5 articles, 21 gold claims" in result.output
    assert "No problems found" in result.output


def test_check_reports_a_gold_quote_that_is_not_in_its_article(seeds_copy: Path):
    path = seeds_copy / "gold" / "003_b1e1143a79d9b815.json"
    gold = json.loads(path.read_text("utf-8"))
    gold["claims"][0]["evidence"][0]["quote"] = "Colonel Dillon said the ceasefire was signed in Paris."
    gold["claims"][1]["alternatives"] = ["a sentence nobody wrote"]
    path.write_text(json.dumps(gold), "utf-8")
    result = _invoke("eval", "check", str(seeds_copy))
    assert result.exit_code == 1
    assert "003_b1e1143a79d9b815.json c1: the evidence quote 'Colonel Dillon said" in result.output
    assert "is not in the article" in result.output
    assert "c2: the alternative quote 'a sentence nobody wrote'" in result.output


def test_check_reports_unknown_labels_and_impossible_dates(seeds_copy: Path):
    path = seeds_copy / "gold" / "004_732b06f77e3e8143.json"
    gold = json.loads(path.read_text("utf-8"))
    gold["claims"][1]["event_date"] = "2020-02-30"
    gold["conflicts"][0]["type"] = "contradiction"
    path.write_text(json.dumps(gold), "utf-8")
    problems = check_suite(load_suite(seeds_copy))
    assert any("event_date '2020-02-30' is not a real date" in p for p in problems)
    assert any("conflict type 'contradiction' is not one of" in p for p in problems)


def test_an_unknown_claim_kind_is_refused_with_the_field_named(seeds_copy: Path):
    path = seeds_copy / "gold" / "001_a2f90259e8779014.json"
    gold = json.loads(path.read_text("utf-8"))
    gold["claims"][0]["kind"] = "armistice"
    path.write_text(json.dumps(gold), "utf-8")
    result = _invoke("eval", "check", str(seeds_copy))
    assert result.exit_code == 1
    assert "001_a2f90259e8779014.json: claims.0.kind" in result.output


def test_a_suite_without_gold_is_one_clear_sentence(tmp_path: Path):
    (tmp_path / "empty" / "articles").mkdir(parents=True)
    result = _invoke("eval", str(tmp_path / "empty"))
    assert result.exit_code == 1
    assert "has no gold files (gold/<article>.json)" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_recording_names_the_ones_there_are(tmp_path: Path):
    result = _invoke("eval", str(SEEDS), "--recording", "gpt-9", "--db", str(tmp_path / "e.db"))
    assert result.exit_code == 1
    assert "has no recording 'gpt-9'" in result.output
    assert "reference" in result.output


def test_a_recording_that_no_longer_matches_the_prompt_says_how_to_re_record(seeds_copy: Path, tmp_path: Path):
    article = seeds_copy / "articles" / "001_a2f90259e8779014.txt"
    article.write_text(article.read_text("utf-8").replace("one-month truce", "one-month ceasefire"), "utf-8")
    gold = seeds_copy / "gold" / "001_a2f90259e8779014.json"
    gold.write_text(gold.read_text("utf-8").replace("one-month truce", "one-month ceasefire"), "utf-8")
    result = _invoke("eval", str(seeds_copy), "--recording", "reference", "--db", str(tmp_path / "e.db"))
    assert result.exit_code == 1
    assert "no longer matches the requests the pipeline sends" in result.output
    assert "python -m extractor.recording.record --only suites" in result.output


# --- scoring rules ------------------------------------------------------------------------


def _claim(claim_id: str, stem: str, kind: str, spans: list[tuple[int, int]], **fields) -> PredictedClaim:
    return PredictedClaim(
        id=claim_id,
        article_stem=stem,
        kind=kind,
        factuality=fields.pop("factuality", "reported"),
        grounding="grounded" if spans else "ungrounded",
        spans=spans,
        quotes=max(1, len(spans)),
        quotes_slicing_back=len(spans),
        **fields,
    )


def _span(suite, key: str) -> tuple[int, int]:
    item, claim = suite.gold_claims()[key]
    quote = claim.evidence[0].quote
    start = item.article.text.index(quote)
    return start, start + len(quote)


def test_claims_match_one_to_one_by_span_overlap_and_invented_quotes_count_against_precision():
    suite = load_suite(SEEDS)
    stem = "003_b1e1143a79d9b815"
    start, end = _span(suite, f"{stem}#c1")
    predicted = [
        _claim("p1", stem, "in_effect", [(start + 5, end)]),  # most of the gold span: a match
        _claim("p2", stem, "in_effect", [(start, end)]),  # the same words again: only one may match
        _claim("p3", stem, "agreement", []),  # an invented quote: no span
    ]
    scores = score(suite, predicted, [])
    claims = scores.summary["claims"]
    assert claims["matched"] == 1
    assert claims["predicted"] == 3
    assert claims["precision"] == pytest.approx(1 / 3, abs=1e-3)
    assert claims["recall"] == pytest.approx(1 / 21, abs=1e-3)
    assert scores.summary["grounding"]["invented_quotes_caught"] == 1
    false = [i for i in scores.items if i.category == "claim" and i.outcome == "false"]
    assert {i.predicted for i in false} == {"p1", "p3"} or {i.predicted for i in false} == {"p2", "p3"}
    assert any(i.detail == "its quotes did not align" for i in false)


def test_fields_are_compared_on_matched_claims_and_every_wrong_field_is_listed():
    suite = load_suite(SEEDS)
    stem = "003_b1e1143a79d9b815"
    predicted = [
        _claim(
            "p1",
            stem,
            "denial",
            [_span(suite, f"{stem}#c1")],
            factuality="negated",
            speaker_name="Col. Ryan Dillon",
            parties=[PredictedParty("Peshmerga", "party", "Peshmerga")],
        )
    ]
    scores = score(suite, predicted, [])
    fields = scores.summary["fields"]
    assert fields["kind"]["accuracy"] == 0.0
    assert fields["factuality"]["accuracy"] == 0.0
    assert fields["speaker"]["accuracy"] == 1.0  # "Col. Ryan Dillon" names Ryan Dillon
    assert fields["parties"]["accuracy"] == 0.0  # two of three parties missing
    wrong = {i.label for i in scores.items if i.category == "field"}
    assert {"kind", "factuality", "parties"} <= wrong


def test_conflicts_count_only_with_their_gold_type_and_hard_negatives_are_reported():
    suite = load_suite(SEEDS)
    s3, s4 = "003_b1e1143a79d9b815", "004_732b06f77e3e8143"
    predicted = [_claim(f"{s}-{c}", s, suite.gold_claims()[f"{s}#{c}"][1].kind, [_span(suite, f"{s}#{c}")])
                 for s, c in [(s3, "c1"), (s3, "c3"), (s3, "c5"), (s4, "c1"), (s4, "c2")]]  # fmt: skip
    conflicts = [
        PredictedConflict(f"{s3}-c1", f"{s3}-c3", "retraction", "same speaker", "rule: x"),  # right
        PredictedConflict(f"{s3}-c3", f"{s3}-c5", "status", "in effect vs not", "rule: x"),  # wrong type
        PredictedConflict(f"{s4}-c1", f"{s4}-c2", "terms", "conditions differ", "rule: x"),  # a hard negative
    ]
    summary = score(suite, predicted, conflicts).summary["conflicts"]
    assert summary["correct"] == 1
    assert summary["flagged"] == 3
    assert summary["precision"] == pytest.approx(1 / 3, abs=1e-3)
    assert summary["recall"] == pytest.approx(1 / 9, abs=1e-3)
    assert summary["by_type"]["retraction"]["recall"] == 1.0
    assert summary["by_type"]["existence"]["recall"] == 0.0
    assert summary["hard_negatives"]["flagged"] == 1


def test_an_endpoint_that_answers_no_claims_scores_recall_zero(faulty_reference_url_no_claims: str):
    url = faulty_reference_url_no_claims
    settings = ModelSettings(model="reference", base_url=url, api_key="x", mode="json_schema")
    run = run_eval(load_suite(SEEDS), live=settings)
    claims = run.summary()["claims"]
    assert claims["predicted"] == 0
    assert claims["recall"] == 0.0
    assert claims["f1"] == 0.0
    assert run.summary()["conflicts"]["recall"] == 0.0
    missed = [i for i in run.scores.items if i.category == "claim" and i.outcome == "missed"]
    assert len(missed) == 21


@pytest.fixture
def faulty_reference_url_no_claims():
    from extractor.recording.reference_server import serve_in_thread

    server, url = serve_in_thread(faults=["no-claims"])
    yield url
    server.shutdown()
    server.server_close()


# --- the command ------------------------------------------------------------------------------


def test_json_output_has_the_documented_keys_and_runs_are_stored_for_compare(tmp_path: Path):
    db = str(tmp_path / "evals.db")
    result = _invoke("eval", str(SEEDS), "--recording", "reference", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["articles"] == 5
    assert {"precision", "recall", "f1"} <= set(data["claims"])
    assert {"precision", "recall"} <= set(data["conflicts"])
    assert set(data["fields"]) >= {"kind", "factuality", "parties", "entity", "speaker", "relays", "duration"}
    assert data["recording"] == "reference" and data["model"] == "reference"
    _invoke("eval", str(SEEDS), "--crosscheck-only", "--json", "--db", db)
    compared = json.loads(_invoke("eval", "compare", str(SEEDS), "--db", db, "--json").output)
    assert [r["mode"] for r in compared] == ["replay", "crosscheck-only"]
    assert compared[0]["claims_f1"] == 1.0


def test_live_record_writes_a_recording_that_replays_to_the_same_scores(
    seeds_copy: Path, tmp_path: Path, reference_url: str
):
    db = str(tmp_path / "e.db")
    shutil.rmtree(seeds_copy / "recordings")
    live = _invoke("eval", str(seeds_copy), "--base-url", reference_url, "--model", "reference", "--record", "ref2",
                   "--json", "--db", db)  # fmt: skip
    assert live.exit_code == 0, live.output
    assert (seeds_copy / "recordings" / "ref2.yaml").read_text("utf-8").startswith("# Recorded from the server at")
    meta = json.loads((seeds_copy / "recordings" / "ref2.json").read_text("utf-8"))
    assert meta["settings"]["model"] == "reference" and "api_key" not in json.dumps(meta)
    replay = _invoke("eval", str(seeds_copy), "--recording", "ref2", "--json", "--db", db)
    assert replay.exit_code == 0, replay.output
    assert json.loads(replay.output)["claims"] == json.loads(live.output)["claims"]


def test_scores_below_the_thresholds_exit_with_status_one(seeds_copy: Path, tmp_path: Path):
    (seeds_copy / "thresholds.toml").write_text("[crosscheck-only]\nentities_resolved = 0.999\n", "utf-8")
    result = _invoke("eval", str(seeds_copy), "--crosscheck-only", "--db", str(tmp_path / "e.db"))
    assert result.exit_code == 1
    assert "entities_resolved is 0." in result.output and "below the threshold 0.999" in result.output


def test_load_suite_refuses_an_article_without_gold(seeds_copy: Path):
    (seeds_copy / "gold" / "002_ed97429882ecb2bf.json").unlink()
    with pytest.raises(SuiteError, match="these articles have no gold file: 002_ed97429882ecb2bf.txt"):
        load_suite(seeds_copy)


def test_a_recording_of_part_of_a_suite_is_scored_on_its_articles_only():
    run = run_eval(load_suite(SEEDS), recording="smollm2-135m")
    summary = run.summary()
    assert summary["articles"] == 2  # seeds 001 and 000
    assert summary["claims"]["gold"] == 9
    assert summary["conflicts"]["gold"] == 3  # the scope conflicts inside seed 000
    assert summary["grounding"]["invented_quotes_caught"] > 0  # SmolLM2 makes its quotes up
    assert summary["claims"]["matched"] == 0
