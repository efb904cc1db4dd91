"""The seed corpus through `extractor.demo.run_demo` (recorded reference answers):
what DOMAIN.md and the issues ask of each seed, read back from the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from truce_helpers import SEED_IDS, count, query, reference_claim_count

from extractor.demo import DEMO_CASSETTE, run_demo
from extractor.resources import project_path
from extractor.storage import store

ZAMAN = SEED_IDS["001"]
MOHIE = SEED_IDS["004"]
DILLON = SEED_IDS["003"]
KURDS = SEED_IDS["000"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = run_demo(path)
    return path, result


@pytest.fixture(scope="module")
def claims(demo) -> list[dict]:
    path, result = demo
    return list(store.query_claims(result.db, store.ClaimFilters()))


@pytest.fixture(scope="module")
def texts(demo) -> dict[str, str]:
    path, _ = demo
    return {r["id"]: r["text"] for r in query(path, "SELECT id, text FROM articles")}


def of(claims: list[dict], article: str) -> list[dict]:
    return [c for c in claims if c["article_id"] == article]


def canonical(claim: dict) -> set[str]:
    return {p["canonical"] for p in claim["parties"]}


def link(claim: dict, role: str) -> list[dict]:
    return [a for a in claim["attribution"] if a["role"] == role]


def speaker(claim: dict) -> dict:
    (found,) = link(claim, "speaker")
    return found


def relays(claim: dict) -> list[str]:
    return [a["name"] for a in link(claim, "relay")]


def quotes(claim: dict) -> str:
    return " ".join(e["quote"] for e in claim["evidence"])


# --- the run ------------------------------------------------------------------------


def test_demo_extracts_every_seed(demo, claims):
    path, result = demo
    totals = result.extraction.totals
    assert (totals.extracted, totals.skipped, totals.failed) == (5, 0, 0)
    assert result.extraction.errors == []
    assert len(claims) == reference_claim_count()
    assert count(path, "articles") == 5
    assert count(path, "extractions", "status = 'ok'") == 5


def test_run_records_tokens(demo):
    path, result = demo
    (run,) = query(path, "SELECT * FROM runs WHERE command = 'demo'")
    assert run["status"] == "completed"
    assert run["model"] == "reference"
    assert run["input_tokens"] > 0 and run["output_tokens"] > 0
    assert run["input_tokens"] == result.extraction.totals.input_tokens
    calls = query(path, "SELECT * FROM model_calls WHERE run_id = ?", [run["id"]])
    assert len(calls) == 5  # one extraction call per seed, no re-ask needed
    assert sum(c["input_tokens"] for c in calls) == run["input_tokens"]
    assert sum(c["output_tokens"] for c in calls) == run["output_tokens"]
    per_article = query(path, "SELECT SUM(input_tokens) AS n FROM extractions")[0]["n"]
    assert per_article == run["input_tokens"]


def test_model_calls_hold_no_credentials(demo):
    path, _ = demo
    calls = query(path, "SELECT * FROM model_calls")
    assert calls
    for call in calls:
        assert call["request_json"]
        request = json.loads(call["request_json"])
        assert request["model"] == "reference"
        assert request["messages"]
        if call["purpose"] == "extract":
            assert call["status"] == "ok"
            assert json.loads(call["response_json"])["model"] == "reference"
        raw = call["request_json"].lower()
        for secret in ("authorization", "bearer", "api_key", "api-key", "not-needed"):
            assert secret not in raw, secret
    assert b"not-needed" not in Path(path).read_bytes()


def test_every_quote_is_the_article_slice(claims, texts):
    for claim in claims:
        assert claim["grounding"] == "grounded", claim["id"]
        assert claim["evidence"]
        for evidence in claim["evidence"]:
            assert evidence["alignment"] in ("exact", "normalised", "fuzzy")
            assert texts[claim["article_id"]][evidence["start"] : evidence["end"]] == evidence["quote"]


def test_claim_ids_are_article_id_and_number(claims):
    for article in SEED_IDS.values():
        ids = [c["id"] for c in of(claims, article)]
        assert ids == [f"{article}-{n}" for n in range(1, len(ids) + 1)]


# --- seed 001: a four-point, one-month SDF-ISIS truce from anonymous sources -----------


def test_seed_001_four_point_one_month_agreement(claims):
    (agreement,) = [c for c in of(claims, ZAMAN) if c["kind"] == "agreement"]
    assert {"SDF", "ISIS"} <= canonical(agreement)
    assert "Hasaka" in agreement["place"]
    assert agreement["duration_iso"] == "P1M"
    assert agreement["duration_bound"] == "exact"
    assert len(agreement["terms"]) == 4
    who = speaker(agreement)
    assert who["anonymous"] is True
    assert who["name"] is None
    assert agreement["speaker"]  # anonymous is stored as anonymous, not as missing
    assert agreement["publisher"] == "Zaman al-Wasl"
    assert link(agreement, "publisher")[0]["name"] == "Zaman al-Wasl"
    assert "sources told Zaman al-Wasl" in quotes(agreement)


# --- seed 004: conditional offer relayed through AP; conflicting durations ----------------


def test_seed_004_kataib_hezbollah_offer(claims):
    offers = [c for c in of(claims, MOHIE) if c["kind"] == "offer" and speaker(c)["name"] == "Mohammed Mohie"]
    assert len(offers) == 1
    offer = offers[0]
    who = speaker(offer)
    assert "spokesman" in who["title"]
    assert who["affiliation"] == "Kataib Hezbollah"
    assert who["anonymous"] is False
    assert any("withdraw" in condition for condition in offer["conditions"])
    assert "The Associated Press" in relays(offer)
    assert offer["publisher"] == "PTI"
    assert "Kataib Hezbollah" in canonical(offer)


def test_seed_004_differing_durations_are_separate_claims(claims):
    seed = of(claims, MOHIE)
    open_ended = [c for c in seed if c["duration_open_ended"]]
    at_least = [c for c in seed if c["duration_text"] and "at least two months" in c["duration_text"]]
    until = [c for c in seed if c["duration_text"] and "until the end of the American election" in c["duration_text"]]
    assert len(open_ended) == len(at_least) == len(until) == 1
    assert len({open_ended[0]["id"], at_least[0]["id"], until[0]["id"]}) == 3
    assert open_ended[0]["duration_iso"] is None
    assert at_least[0]["duration_iso"] == "P2M"
    assert at_least[0]["duration_bound"] == "at_least"
    assert until[0]["duration_iso"] is None
    assert until[0]["duration_bound"] == "until_event"
    assert speaker(until[0])["name"] == "Mohammed Mohie"
    assert speaker(open_ended[0])["anonymous"] and speaker(at_least[0])["anonymous"]


def test_seed_004_relative_dates_resolved_against_dateline(claims):
    by_date_text = {c["event_date_text"]: c for c in of(claims, MOHIE) if c["event_date_text"]}
    assert by_date_text["On Saturday"]["event_date"] == "2020-10-10"
    assert by_date_text["on Sunday"]["event_date"] == "2020-10-11"
    assert by_date_text["Last week"]["event_date_precision"] == "week"


# --- seed 003: a spokesperson's TV statement and Twitter correction ----------------------


def test_seed_003_dillon_tv_claim_and_twitter_correction(claims):
    dillon = [c for c in of(claims, DILLON) if speaker(c)["name"] == "Ryan Dillon"]
    tv = [c for c in dillon if "there is a ceasefire" in quotes(c)]
    assert len(tv) == 1
    tv = tv[0]
    assert tv["kind"] == "in_effect"
    assert tv["factuality"] != "negated"
    assert speaker(tv)["channel"] == "TV interview"
    assert "Rudaw" in [a["name"] for a in tv["attribution"] if a["role"] in ("publisher", "relay")]
    twitter = [c for c in dillon if speaker(c)["channel"] == "Twitter" and c["factuality"] == "negated"]
    assert len(twitter) == 1
    correction = twitter[0]
    assert correction["id"] != tv["id"]
    assert correction["kind"] == "denial"
    assert "official" in quotes(correction) and "Twitter" in quotes(correction)


def test_seed_003_amiri_ceasefire_relayed_by_bbc(claims):
    (amiri,) = [c for c in of(claims, DILLON) if speaker(c)["name"] == "Hadi al-Amiri"]
    assert amiri["kind"] == "in_effect"
    assert relays(amiri) == ["BBC"]
    assert "Badr" in speaker(amiri)["affiliation"]
    assert "PMF" in canonical(amiri)
    # "Thursday night" in an undated article: kept as written, never invented.
    assert amiri["event_date_text"] == "Thursday night"
    assert amiri["event_date"] is None


# --- seed 000: relayed requests and an organisation-wide denial ----------------------


def test_seed_000_requests_relayed_by_rudaw_and_asharq(claims):
    requests = [c for c in of(claims, KURDS) if c["kind"] == "request"]
    via_rudaw = [c for c in requests if "Rudaw" in relays(c)]
    via_asharq = [c for c in requests if "As-Sharq al-Awsat" in relays(c)]
    assert via_rudaw and via_asharq
    assert speaker(via_rudaw[0])["anonymous"] is True
    assert "Peshmerga official" in speaker(via_rudaw[0])["description"]
    for claim in requests:
        assert {"ISIS", "Peshmerga"} <= canonical(claim)
        assert claim["publisher"] == "NOW."


def test_seed_000_police_chief_denial_is_organisation_wide(claims):
    (denial,) = [c for c in of(claims, KURDS) if speaker(c)["name"] == "Sarhad Qadir"]
    assert denial["kind"] == "denial"
    assert denial["scope"] == "organisation-wide"
    assert denial["factuality"] == "negated"
    assert "police chief" in speaker(denial)["title"]
    assert "As-Sharq al-Awsat" in relays(denial)
    local = [c for c in of(claims, KURDS) if c["kind"] == "request" and c["scope"] == "local"]
    assert local  # the local offers the denial stands against


# --- seed 002: surrenders, no truce claim ---------------------------------------------


def test_seed_002_surrenders_give_no_claims(demo, claims):
    path, _ = demo
    assert of(claims, SEED_IDS["002"]) == []
    (extraction,) = query(path, "SELECT * FROM extractions WHERE article_id = ?", [SEED_IDS["002"]])
    assert extraction["status"] == "ok"
    assert extraction["claims_count"] == 0


# --- boilerplate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "marker"),
    [
        ("004", "\nTRENDING\n"),  # unrelated headlines, opinion teasers, latest news
        ("001", "Total Comments"),  # comment form
        ("000", "Article Link:"),  # link, comment box, ad slots ("Iklan")
        ("002", "\nCOMMENTS\n"),
    ],
)
def test_no_evidence_from_boilerplate(claims, texts, prefix, marker):
    article = SEED_IDS[prefix]
    text = texts[article]
    cut = text.index(marker)
    for claim in of(claims, article):
        for evidence in claim["evidence"]:
            assert evidence["end"] <= cut, (claim["id"], evidence["quote"])


def test_no_quote_contains_boilerplate_words(claims):
    for claim in claims:
        for evidence in claim["evidence"]:
            for word in ("Comments", "COMMENTS", "Iklan", "TRENDING", "Post a Comment", "Left Menu"):
                assert word not in evidence["quote"], (claim["id"], word)


def test_every_request_is_stored_once_per_distinct_prefix_and_rebuilds_exactly(demo):
    """The system message and the schema, the same for every call, are stored once in
    prompt_parts; the view model_call_requests puts them back, giving the very bodies the
    reference server received (the recording holds them)."""
    path, _ = demo
    recorded = yaml.safe_load(Path(project_path(DEMO_CASSETTE)).read_text("utf-8"))["interactions"]
    sent = [json.loads(i["request"]["body"]) for i in recorded]
    calls = query(path, "SELECT id, purpose, request_json, parts FROM model_calls")
    rebuilt = {r["id"]: json.loads(r["request_json"]) for r in query(path, "SELECT * FROM model_call_requests")}
    assert len(query(path, "SELECT hash FROM prompt_parts")) <= 4  # extraction and adjudication prompts
    for call in calls:
        if call["purpose"] == "extract":
            assert len(json.loads(call["parts"])) == 2  # the system message and the schema
            assert len(call["request_json"]) < len(json.dumps(rebuilt[call["id"]])) / 2
        body = rebuilt[call["id"]]
        assert body in sent, call["id"]
        assert "@part:" not in json.dumps(body)
        assert store.full_request(store.open_db(path), call["id"]) == body
