"""The extraction contract (extractor/schema.py): what the model must return, and the
field descriptions it reads."""

from __future__ import annotations

import copy

import pytest
from pydantic import BaseModel, ValidationError

from extractor.extraction.schema import (
    CLAIM_KINDS,
    ArticleExtraction,
    Attribution,
    Duration,
    Evidence,
    Outlet,
    Party,
    Speaker,
    TruceClaim,
)

# A claim shaped like seed 004: a conditional offer, relayed by AP, with a duration bound.
REALISTIC_CLAIM = {
    "kind": "offer",
    "summary": "Kataib Hezbollah spokesman Mohammed Mohie said the militia factions offered a truce "
    "on condition that American-led forces withdraw.",
    "parties": [
        {"name": "Iran-backed militias", "role": "proposer"},
        {"name": "US-led coalition", "role": "recipient"},
    ],
    "place": "Iraq",
    "scope": "national",
    "when": "On Saturday",
    "duration": {"text": "at least two months", "iso8601": "P2M", "open_ended": False, "bound": "at_least"},
    "conditions": ['all American-led forces withdraw within an "acceptable timeframe"'],
    "terms": ["refrain from targeting the U.S. in Iraq, including the embassy"],
    "factuality": "reported",
    "attribution": {
        "publisher": "PTI",
        "relays": [{"name": "The Associated Press", "channel": "news agency"}],
        "speaker": {
            "name": "Mohammed Mohie",
            "title": "spokesman",
            "affiliation": "Kataib Hezbollah",
            "anonymous": False,
            "channel": "interview",
        },
    },
    "evidence": [{"quote": "The militia factions offered a truce and will refrain from targeting the U.S. in Iraq"}],
}


def claim(**changes) -> dict:
    data = copy.deepcopy(REALISTIC_CLAIM)
    data.update(changes)
    return data


def test_realistic_claim_validates_with_every_field_kept():
    result = ArticleExtraction.model_validate({"claims": [claim()]})

    assert len(result.claims) == 1
    parsed = result.claims[0]
    assert parsed.kind == "offer"
    assert [(p.name, p.role) for p in parsed.parties] == [
        ("Iran-backed militias", "proposer"),
        ("US-led coalition", "recipient"),
    ]
    assert parsed.duration is not None
    assert (parsed.duration.iso8601, parsed.duration.bound) == ("P2M", "at_least")
    assert parsed.attribution.relays[0].name == "The Associated Press"
    assert parsed.attribution.speaker.name == "Mohammed Mohie"
    assert parsed.attribution.speaker.anonymous is False
    assert parsed.evidence[0].quote.startswith("The militia factions offered a truce")
    assert parsed.factuality == "reported"


def test_minimal_claim_gets_documented_defaults():
    parsed = TruceClaim.model_validate(
        {"kind": "denial", "summary": "s", "factuality": "negated", "evidence": [{"quote": "no truce"}]}
    )

    assert parsed.parties == []
    assert parsed.scope == "unknown"
    assert parsed.duration is None
    assert parsed.attribution.relays == []
    assert parsed.attribution.speaker.anonymous is False


def test_anonymous_speaker_without_name_is_valid():
    data = claim()
    data["attribution"]["speaker"] = {"anonymous": True, "description": "a Peshmerga official"}
    parsed = TruceClaim.model_validate(data)

    assert parsed.attribution.speaker.name is None
    assert parsed.attribution.speaker.anonymous is True
    assert parsed.attribution.speaker.description == "a Peshmerga official"


@pytest.mark.parametrize("kind", CLAIM_KINDS)
def test_every_documented_kind_is_accepted(kind):
    assert TruceClaim.model_validate(claim(kind=kind)).kind == kind


def test_the_kinds_are_the_documented_eleven():
    assert set(CLAIM_KINDS) == {
        "request",
        "offer",
        "agreement",
        "declaration",
        "in_effect",
        "extension",
        "violation",
        "end",
        "rejection",
        "denial",
        "talks",
    }


@pytest.mark.parametrize("kind", ["ceasefire", "surrender", "Offer", ""])
def test_unknown_kind_is_rejected(kind):
    with pytest.raises(ValidationError) as info:
        ArticleExtraction.model_validate({"claims": [claim(kind=kind)]})
    assert any(error["loc"][-1] == "kind" for error in info.value.errors())


def test_unknown_party_role_is_rejected():
    with pytest.raises(ValidationError):
        TruceClaim.model_validate(claim(parties=[{"name": "ISIS", "role": "aggressor"}]))


def test_unknown_factuality_is_rejected():
    with pytest.raises(ValidationError):
        TruceClaim.model_validate(claim(factuality="certain"))


def test_claim_with_empty_evidence_list_is_rejected():
    with pytest.raises(ValidationError) as info:
        ArticleExtraction.model_validate({"claims": [claim(evidence=[])]})
    assert any("evidence" in error["loc"] for error in info.value.errors())


def test_claim_without_evidence_key_is_rejected():
    data = claim()
    del data["evidence"]
    with pytest.raises(ValidationError) as info:
        TruceClaim.model_validate(data)
    assert any(error["loc"] == ("evidence",) and error["type"] == "missing" for error in info.value.errors())


@pytest.mark.parametrize("quote", ["", "   ", "\n\t "])
def test_blank_quote_is_rejected(quote):
    with pytest.raises(ValidationError, match="every evidence quote must contain text"):
        TruceClaim.model_validate(claim(evidence=[{"quote": "a real quote"}, {"quote": quote}]))


def test_empty_claims_list_is_accepted_but_a_missing_one_is_not():
    assert ArticleExtraction.model_validate({"claims": []}).claims == []
    for wrong_shape in ({}, {"truce_claims": []}):
        with pytest.raises(ValidationError, match='"claims" list'):
            ArticleExtraction.model_validate(wrong_shape)


def test_extra_keys_are_ignored_at_every_level():
    data = claim(confidence=0.9, reasoning="chain of thought")
    data["parties"][0]["canonical"] = "should not be taken from the model"
    data["attribution"]["speaker"]["gender"] = "male"
    data["attribution"]["relays"][0]["url"] = "https://apnews.example"
    data["evidence"][0]["start"] = 12
    data["duration"]["unit"] = "months"

    result = ArticleExtraction.model_validate({"claims": [data], "article_id": "abc", "notes": "x"})

    parsed = result.claims[0]
    dumped = result.model_dump()
    assert "article_id" not in dumped and "notes" not in dumped
    assert "confidence" not in dumped["claims"][0]
    assert "reasoning" not in dumped["claims"][0]
    assert "canonical" not in dumped["claims"][0]["parties"][0]
    assert "gender" not in dumped["claims"][0]["attribution"]["speaker"]
    assert "url" not in dumped["claims"][0]["attribution"]["relays"][0]
    assert "start" not in dumped["claims"][0]["evidence"][0]
    assert parsed.kind == "offer"


def _described(model: type[BaseModel]) -> dict[str, str | None]:
    schema = model.model_json_schema()
    return {name: spec.get("description") for name, spec in schema["properties"].items()}


def test_every_truce_claim_field_has_a_description_in_the_json_schema():
    descriptions = _described(TruceClaim)

    assert set(descriptions) == set(TruceClaim.model_fields)
    missing = [name for name, text in descriptions.items() if not (text and text.strip())]
    assert missing == []


@pytest.mark.parametrize("model", [Party, Duration, Speaker, Outlet, Attribution, Evidence, ArticleExtraction])
def test_every_nested_field_the_model_reads_has_a_description(model):
    descriptions = _described(model)
    missing = [name for name, text in descriptions.items() if not (text and text.strip())]
    assert missing == []


def test_nested_descriptions_reach_the_schema_the_model_is_given():
    schema = ArticleExtraction.model_json_schema()
    defs = schema["$defs"]

    for name in ("TruceClaim", "Party", "Duration", "Speaker", "Outlet", "Attribution", "Evidence"):
        assert name in defs
        for field_name, spec in defs[name]["properties"].items():
            assert spec.get("description"), f"{name}.{field_name} has no description"


def test_kind_description_explains_every_kind():
    description = TruceClaim.model_json_schema()["properties"]["kind"]["description"]
    for kind in CLAIM_KINDS:
        assert kind in description


def test_evidence_description_demands_verbatim_quotes():
    quote = Evidence.model_json_schema()["properties"]["quote"]["description"].lower()
    assert "verbatim" in quote
