"""The cross-check: each conflict type, the non-conflicts, blocking, storage, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import httpx2
import pytest
from click.testing import CliRunner
from truce_helpers import claim_facts, dur

from extractor.cli import cli
from extractor.crosscheck.adjudicate import adjudicate_pairs
from extractor.crosscheck.conflicts import Ambiguous, ClaimFacts, Finding, compare
from extractor.crosscheck.run import _place_states, candidate_pairs, query_conflicts, run_crosscheck
from extractor.demo import run_demo
from extractor.extraction.model import ModelClient, ModelSettings

DAY = date(2020, 10, 10).toordinal()


def claim(
    cid: str, kind: str = "in_effect", sides: frozenset[str] = frozenset({"Peshmerga", "Iraqi forces"}), **fields
) -> ClaimFacts:
    return claim_facts(cid, kind, DAY, sides, **fields)


# --- conflict types ---------------------------------------------------------------------


def test_existence_truce_in_effect_against_a_denial():
    outcome = compare(claim("a", "in_effect"), claim("b", "denial"))
    assert isinstance(outcome, Finding) and outcome.type == "existence"


def test_status_extended_against_ended_at_the_same_time():
    outcome = compare(claim("a", "extension"), claim("b", "end"))
    assert isinstance(outcome, Finding) and outcome.type == "status"


def test_status_holding_after_it_ended():
    outcome = compare(claim("a", "in_effect", lo=DAY + 2, hi=DAY + 2), claim("b", "end"))
    assert isinstance(outcome, Finding) and outcome.type == "status"


def test_holding_then_ending_on_one_day_is_sequence():
    # "holding on Sunday afternoon" and "expired at 7 p.m. on Sunday" can both be true.
    assert compare(claim("a", "in_effect"), claim("b", "end")) is None


def test_status_without_dates_is_left_to_the_model():
    outcome = compare(claim("a", "in_effect", lo=None, hi=None), claim("b", "end", lo=None, hi=None))
    assert isinstance(outcome, Ambiguous)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (dur("open-ended", open_ended=True), dur("at least two months", 60, "at_least")),
        (dur("open-ended", open_ended=True), dur("until the end of the American election", bound="until_event")),
        (
            dur("at least two months", 60, "at_least"),
            dur("until the end of the American election", bound="until_event"),
        ),
        (dur("one month", 30, "exact"), dur("three months", 90, "exact")),
        (dur("one month", 30, "exact"), dur("at least two months", 60, "at_least")),
    ],
)
def test_terms_different_durations(first, second):
    outcome = compare(claim("a", "agreement", duration=first), claim("b", "offer", duration=second))
    assert isinstance(outcome, Finding) and outcome.type == "terms"
    assert first.text in outcome.reason and second.text in outcome.reason


def test_conditions_in_other_words_are_left_to_the_model_not_flagged():
    # Seed 004 words one condition, a US withdrawal, three ways: not a terms conflict.
    a = claim("a", "offer", conditions=('all American-led forces withdraw within an "acceptable timeframe"',))
    b = claim("b", "agreement", conditions=("a scheduled US withdrawal to be determined at a later date",))
    outcome = compare(a, b)
    assert isinstance(outcome, Ambiguous) and "conditions worded differently" in outcome.reason


def test_scope_local_request_against_organisation_wide_denial_is_partial():
    outcome = compare(claim("a", "request", scope="local"), claim("b", "denial", scope="organisation-wide"))
    assert isinstance(outcome, Finding)
    assert (outcome.type, outcome.severity) == ("scope", "partial")


def test_retraction_same_speaker_asserts_then_denies():
    said = claim("a", "in_effect", speaker="ryan dillon", channel="TV interview")
    denied = claim("b", "denial", speaker="ryan dillon", channel="Twitter")
    outcome = compare(said, denied)
    assert isinstance(outcome, Finding) and outcome.type == "retraction"
    assert "TV interview" in outcome.reason and "Twitter" in outcome.reason


# --- what must not be flagged -------------------------------------------------------------


def test_consistent_claims_are_not_flagged():
    assert compare(claim("a", "in_effect"), claim("b", "in_effect")) is None
    same = dur("one month", 30, "exact")
    assert compare(claim("a", "agreement", duration=same), claim("b", "agreement", duration=same)) is None


@pytest.mark.parametrize(
    ("vaguer", "precise"),
    [
        (dur("temporarily"), dur("one-month", 30, "exact")),
        (dur("at least two months", 60, "at_least"), dur("three months", 90, "exact")),
        (dur("at least one month", 30, "at_least"), dur("at least two months", 60, "at_least")),
    ],
)
def test_a_duration_stated_more_precisely_refines(vaguer, precise):
    assert compare(claim("a", "agreement", duration=vaguer), claim("b", "agreement", duration=precise)) is None


def test_unrelated_truces_are_not_compared():
    hasaka = claim("a", "agreement", sides=frozenset({"SDF", "ISIS"}), duration=dur("one-month", 30, "exact"))
    militias = claim(
        "b",
        "offer",
        sides=frozenset({"Iran-backed militias", "United States"}),
        duration=dur("open-ended", open_ended=True),
    )
    assert compare(hasaka, militias) is None
    # One shared side is not enough when both claims name two.
    other = claim("c", "denial", sides=frozenset({"ISIS", "Peshmerga"}))
    assert compare(hasaka, other) is None


def test_a_denial_for_a_country_meets_a_truce_that_country_is_a_side_to():
    """A denial "there is no ceasefire in Somalia", said of al-Shabaab and Kenya, bears on a truce
    between Kenya and Somalia; a denial naming that state among its sides does not
    count its place twice, and a truce between two other states is not met."""
    truce = claim("a", "agreement", sides=frozenset({"kenya", "somalia"}))
    denial = claim("b", "denial", sides=frozenset({"al-shabaab", "kenya"}), place_states=frozenset({"somalia"}))
    assert _pairs([truce, denial]) == {("a", "b")}
    outcome = compare(truce, denial)
    assert isinstance(outcome, Finding) and outcome.type == "existence"
    assert compare(truce, replace(denial, place_states=frozenset())) is None
    other = claim("c", "agreement", sides=frozenset({"ethiopia", "eritrea"}))
    assert compare(other, denial) is None and ("b", "c") not in _pairs([denial, other])
    # The place is one more way to match, never a requirement: the denial still meets a
    # truce between its own sides, and a one-sided denial still meets its side's truces.
    own = claim("d", "agreement", sides=frozenset({"al-shabaab", "kenya"}))
    assert isinstance(compare(own, denial), Finding) and ("b", "d") in _pairs([denial, own])
    one_sided = replace(denial, sides=frozenset({"kenya"}))
    assert {("a", "b"), ("b", "d")} <= _pairs([truce, one_sided, own])
    assert isinstance(compare(own, one_sided), Finding) and isinstance(compare(truce, one_sided), Finding)


def test_the_states_a_place_names_are_read_longest_name_first():
    states = {"South Sudan": "south-sudan", "Sudan": "sudan", "Lebanon": "lebanon"}
    assert _place_states("Upper Nile, South Sudan", states) == {"south-sudan"}
    assert _place_states("southern Lebanon", states) == {"lebanon"}
    assert _place_states("the Sudan–Chad border", states) == {"sudan"}  # Chad is no party here
    assert _place_states(None, states) == frozenset()


def test_different_places_are_different_truces():
    a = claim("a", "in_effect", places=frozenset({"hasaka"}))
    b = claim("b", "denial", places=frozenset({"kirkuk"}))
    assert compare(a, b) is None
    assert isinstance(compare(a, replace(b, places=frozenset({"hasaka", "villages"}))), Finding)


# --- blocking -----------------------------------------------------------------------


def _pairs(facts, window=30):
    return {(a.id, b.id) for a, b in candidate_pairs(facts, window)}


def test_a_pair_outside_the_time_window_is_never_compared():
    early, late = claim("a", lo=DAY, hi=DAY), claim("b", "denial", lo=DAY + 45, hi=DAY + 45)
    assert _pairs([early, late]) == set()
    assert _pairs([early, late], window=60) == {("a", "b")}


def test_imprecise_dates_widen_the_window():
    month = claim("a", lo=date(2020, 10, 1).toordinal(), hi=date(2020, 10, 31).toordinal())
    later = claim("b", "denial", lo=date(2020, 11, 20).toordinal(), hi=date(2020, 11, 20).toordinal())
    assert _pairs([month, later]) == {("a", "b")}


def test_undated_claims_are_compared_within_their_block_only():
    undated = claim("a", lo=None, hi=None)
    dated = claim("b", "denial", lo=DAY + 3000, hi=DAY + 3000)
    elsewhere = claim("c", "denial", sides=frozenset({"SDF", "ISIS"}), lo=None, hi=None)
    assert _pairs([undated, dated, elsewhere]) == {("a", "b")}


def test_one_sided_claims_meet_two_sided_claims_that_share_the_side():
    one_side = claim("a", "denial", sides=frozenset({"ISIS"}))
    two_sides = claim("b", sides=frozenset({"ISIS", "Peshmerga"}))
    assert _pairs([one_side, two_sides]) == {("a", "b")}


def test_blocking_compares_far_fewer_than_all_pairs():
    facts = [
        claim(
            f"c{i}", sides=frozenset({f"group {i % 50}", f"group {(i + 1) % 50}"}), lo=DAY + i % 700, hi=DAY + i % 700
        )
        for i in range(2000)
    ]
    pairs = _pairs(facts)
    assert 0 < len(pairs) < 0.01 * 2000 * 1999 / 2


# --- on the seeds, storage and the CLI ----------------------------------------------------


@pytest.fixture
def demo_db(tmp_path):
    return run_demo(tmp_path / "demo.db").db


def _found(db):
    return {(r["claim_a"], r["claim_b"]): r for r in query_conflicts(db)}


def test_seed_conflicts(demo_db):
    found = _found(demo_db)
    dillon_tv, dillon_twitter, amiri = "410fb558418070a2-1", "410fb558418070a2-3", "410fb558418070a2-5"
    assert found[(dillon_tv, dillon_twitter)]["type"] == "retraction"
    assert found[(dillon_twitter, amiri)]["type"] == "existence"
    militia_terms = [r for (a, b), r in found.items() if a.startswith("1080fbab4ad5d903")]
    assert len(militia_terms) == 4 and {r["type"] for r in militia_terms} == {"terms"}
    reasons = " ".join(r["reason"] for r in militia_terms)
    for duration in ("open-ended", "at least two months", "until the end of the American election"):
        assert duration in reasons
    assert "conditions" not in reasons  # one withdrawal condition in three wordings
    denial = "3344c0298934e01d-5"
    scope = [r for (a, b), r in found.items() if denial in (a, b)]
    assert scope and all(r["type"] == "scope" and r["severity"] == "partial" for r in scope)
    assert {"3344c0298934e01d-1", "3344c0298934e01d-3"} <= {r["claim_a"] for r in scope}
    # The SDF–ISIS truce in Hasaka (001) and the militias' truce with the US (004) are unrelated.
    assert not [k for k in found if {k[0][:16], k[1][:16]} == {"920382393c638fed", "1080fbab4ad5d903"}]


def test_demo_adjudicates_ambiguous_pairs_with_recorded_reference_verdicts(demo_db):
    rows = list(demo_db.query("SELECT * FROM adjudications"))
    assert rows and all(r["model"] == "reference" for r in rows)
    calls = list(demo_db.query("SELECT * FROM model_calls WHERE purpose = 'adjudicate'"))
    assert len(calls) == len(rows)


def test_rerunning_the_crosscheck_adds_nothing_twice(demo_db):
    before = list(demo_db.query("SELECT claim_a, claim_b, type, id FROM conflicts ORDER BY id"))
    run_crosscheck(demo_db)
    run_crosscheck(demo_db)
    assert list(demo_db.query("SELECT claim_a, claim_b, type, id FROM conflicts ORDER BY id")) == before


def test_reextracting_an_article_replaces_its_conflicts(tmp_path, reference_url, seeds_dir):
    db_path = tmp_path / "t.db"
    runner = CliRunner()
    args = ["extract", str(seeds_dir), "--db", str(db_path), "--base-url", reference_url, "--model", "reference"]
    assert runner.invoke(cli, args).exit_code == 0
    from extractor.storage.store import open_db

    db = open_db(db_path)
    first = {(r["claim_a"], r["claim_b"], r["type"]): r["run_id"] for r in db.query("SELECT * FROM conflicts")}
    assert first
    seed_003 = next(seeds_dir.glob("003_*.txt"))
    assert runner.invoke(cli, [*args[:1], str(seed_003), *args[2:], "--force"]).exit_code == 0
    second = {(r["claim_a"], r["claim_b"], r["type"]): r["run_id"] for r in db.query("SELECT * FROM conflicts")}
    assert set(second) == set(first)
    replaced = {k for k in first if k[0].startswith("410fb558418070a2")}
    # Found again, by the new run, for the new claims; the other conflicts are untouched.
    assert replaced and all(second[k] > first[k] for k in replaced)
    assert all(second[k] == first[k] for k in set(first) - replaced)


def test_model_verdict_contradicts_becomes_a_conflict(demo_db):
    verdict = {"verdict": "contradicts", "conflict_type": "status", "reason": "one says agreed, one only offered"}

    def handler(request):
        body = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "judge",
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(verdict)}}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
        return httpx2.Response(200, json=body)

    client = ModelClient(
        ModelSettings(model="judge", base_url="http://judge.test/v1", api_key="x", mode="json_schema"),
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    asked, errors = adjudicate_pairs(demo_db, [("1080fbab4ad5d903-1", "1080fbab4ad5d903-6", "test")], client, None)
    assert (asked, errors) == (1, [])
    row = next(demo_db.query("SELECT * FROM conflicts WHERE method = 'model: judge'"))
    assert (row["claim_a"], row["claim_b"], row["type"]) == ("1080fbab4ad5d903-1", "1080fbab4ad5d903-6", "status")
    # Asked once: a second call with the same model and prompt does not ask again.
    assert adjudicate_pairs(demo_db, [("1080fbab4ad5d903-1", "1080fbab4ad5d903-6", "test")], client, None) == (0, [])


def test_cli_crosscheck_conflicts_and_show(tmp_path):
    db_path = str(tmp_path / "demo.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--db", db_path, "--silent"]).exit_code == 0
    result = runner.invoke(cli, ["crosscheck", "--db", db_path])
    assert result.exit_code == 0, result.output
    rows = json.loads(runner.invoke(cli, ["conflicts", "--db", db_path, "--json"]).output)
    assert rows and all({"type", "reason", "method", "claim_a", "claim_b"} <= set(r) for r in rows)
    retractions = json.loads(
        runner.invoke(cli, ["conflicts", "--db", db_path, "--json", "--type", "retraction"]).output
    )
    assert [r["type"] for r in retractions] == ["retraction"]
    by_party = json.loads(runner.invoke(cli, ["conflicts", "--db", db_path, "--json", "--party", "Daesh"]).output)
    assert by_party and all(r["claim_a"].startswith("3344c0298934e01d") for r in by_party)
    by_outlet = json.loads(runner.invoke(cli, ["conflicts", "--db", db_path, "--json", "--outlet", "BBC"]).output)
    assert [(r["claim_a"], r["claim_b"]) for r in by_outlet] == [("410fb558418070a2-3", "410fb558418070a2-5")]
    nl = runner.invoke(cli, ["conflicts", "--db", db_path, "--nl", "--article", "1080"]).output
    by_article = [json.loads(line) for line in nl.splitlines()]
    assert by_article and all(r["claim_a"].startswith("1080fbab4ad5d903") for r in by_article)
    shown = runner.invoke(cli, ["show", "410fb558418070a2-1", "--db", db_path])
    assert "retraction with 410fb558418070a2-3" in shown.output
    assert "TV interview" in shown.output
