"""The conflict rules pair by pair, on a war the seeds never mention (the army and the
Rapid Support Forces in Sudan; a regional truce in North Kivu): walk-back retractions,
existence by presupposition, sequence, terms only within one arrangement, status for a
later "only offered", and scope for denials of another reach."""

from __future__ import annotations

from datetime import date

import pytest
from truce_helpers import claim_facts, dur

from extractor.crosscheck.conflicts import CONCEDED_HALT, TRUCE_WORDS, Ambiguous, ClaimFacts, Finding, Timeline, compare

DAY = date(2023, 5, 20).toordinal()
SIDES = frozenset({"sudan", "rapid-support-forces"})
MANSURI = "yahya al-mansuri"


def claim(cid: str, kind: str = "in_effect", sides: frozenset[str] = SIDES, **fields) -> ClaimFacts:
    return claim_facts(cid, kind, DAY, sides, **fields)


def on(day: int) -> dict:
    """Dated `day` days after DAY."""
    return {"lo": DAY + day, "hi": DAY + day}


def finding(outcome, kind: str) -> bool:
    return isinstance(outcome, Finding) and outcome.type == kind


# --- retraction: a walk-back without a negation ---------------------------------------------------


def test_same_speaker_saying_agreement_then_only_an_offer_is_a_retraction():
    agreed = claim("a", "agreement", speaker=MANSURI, channel="TV interview", **on(1))
    offered = claim("b", "offer", speaker=MANSURI, channel="phone call", **on(2))
    outcome = compare(agreed, offered)
    assert finding(outcome, "retraction")
    assert "TV interview" in outcome.reason and "phone call" in outcome.reason


def test_same_speaker_offering_first_then_agreeing_is_progress_not_a_retraction():
    offered = claim("a", "offer", speaker=MANSURI, channel="TV interview", **on(1))
    agreed = claim("b", "agreement", speaker=MANSURI, channel="phone call", **on(2))
    outcome = compare(offered, agreed)
    assert not finding(outcome, "retraction")
    assert outcome is None


def reported(day: int) -> dict:
    """Undated: known only from an article published `day` days after DAY."""
    return {"dated": False, "said": DAY + day, "lo": DAY + day - 30, "hi": DAY + day}


def test_a_walk_back_is_ordered_by_publication_day_when_the_claims_are_undated():
    agreed = claim("a", "agreement", speaker=MANSURI, **reported(1))
    offered = claim("b", "offer", speaker=MANSURI, **reported(2))
    assert finding(compare(agreed, offered), "retraction")
    offered_first = claim("c", "offer", speaker=MANSURI, **reported(1))
    agreed_later = claim("d", "agreement", speaker=MANSURI, **reported(2))
    assert compare(offered_first, agreed_later) is None


def test_agreement_and_offer_within_one_statement_of_one_speaker_are_no_retraction():
    agreed = claim("a", "agreement", speaker=MANSURI, article_id="one", channel="press conference")
    offered = claim("b", "offer", speaker=MANSURI, article_id="one", channel="press conference")
    assert compare(agreed, offered) is None


@pytest.mark.parametrize("other", ["yahya al-mansoori", "yahia al-mansouri", "gen yahya al-mansuri"])
def test_spelling_variants_of_the_speakers_name_are_one_speaker(other):
    agreed = claim("a", "agreement", speaker=MANSURI, channel="TV", **on(1))
    offered = claim("b", "offer", speaker=other, channel="phone", **on(2))
    assert finding(compare(agreed, offered), "retraction")


@pytest.mark.parametrize("other", ["khalid al-mansuri", "ahmed al-mansuri", "yahya al-mahdi"])
def test_two_people_sharing_a_surname_or_first_name_are_two_speakers(other):
    agreed = claim("a", "agreement", speaker=MANSURI, channel="TV", **on(1))
    offered = claim("b", "offer", speaker=other, channel="phone", **on(2))
    assert not finding(compare(agreed, offered), "retraction")


# --- existence by presupposition and sequence ---------------------------------------------------


@pytest.mark.parametrize("kind", ["violation", "extension"])
def test_a_violation_or_extension_presupposes_the_truce_a_denial_denies(kind):
    outcome = compare(claim("a", kind), claim("b", "denial"))
    assert finding(outcome, "existence") and outcome.severity == "high"


def test_a_denial_granting_a_pause_does_not_contradict_a_report_of_calm_that_names_no_truce():
    denial = claim("a", "denial", concedes_halt=True)
    assert compare(claim("b", "in_effect", names_truce=False), denial) is None


def test_a_denial_granting_a_pause_still_contradicts_a_truce_said_to_hold():
    denial = claim("a", "denial", concedes_halt=True)
    assert finding(compare(claim("b", "in_effect", names_truce=True), denial), "existence")
    assert finding(compare(claim("c", "agreement", names_truce=False), denial), "existence")


def test_a_plain_denial_contradicts_a_report_of_calm():
    assert finding(compare(claim("b", "in_effect", names_truce=False), claim("a", "denial")), "existence")


@pytest.mark.parametrize(
    "quote",
    [
        'There is no truce, just a lull in the shelling," the minister said.',
        "Officials insisted there was no ceasefire but a unilateral suspension of operations.",
        "No deal exists; the rebels have merely paused their advance.",
    ],
)
def test_denials_that_grant_a_halt_are_recognised(quote):
    assert CONCEDED_HALT.search(quote)


@pytest.mark.parametrize(
    "quote",
    [
        "There is no ceasefire and the fighting goes on in the north.",
        "The army denied it had agreed to any truce with the militia.",
        "There is no ceasefire, but we will not stop fighting.",
        "There is no truce; we just keep fighting quietly.",
        "No truce exists, only a calm before a new offensive, the commander said.",
    ],
)
def test_denials_that_grant_nothing_are_not_read_as_granting_a_halt(quote):
    assert not CONCEDED_HALT.search(quote)


def test_a_report_of_calm_is_told_from_a_report_of_a_truce():
    assert not TRUCE_WORDS.search("Residents said the guns had been silent since Sunday and shops reopened.")
    assert TRUCE_WORDS.search("Residents said the cease-fire had held since Sunday.")


def test_a_denial_dated_before_an_agreement_is_sequence_not_a_conflict():
    assert compare(claim("a", "denial", **on(0)), claim("b", "agreement", **on(3))) is None


def test_a_denial_dated_after_an_agreement_is_an_existence_conflict():
    assert finding(compare(claim("a", "denial", **on(3)), claim("b", "agreement", **on(0))), "existence")


def test_a_truce_in_effect_after_a_denial_conflicts_unless_a_new_agreement_came_between():
    denial, holding = claim("a", "denial", **on(0)), claim("b", "in_effect", **on(5))
    assert finding(compare(denial, holding), "existence")
    assert finding(compare(denial, holding, Timeline([denial, holding])), "existence")
    earlier = claim("c", "agreement", **on(-2))
    assert finding(compare(denial, holding, Timeline([denial, holding, earlier])), "existence")
    between = claim("d", "agreement", **on(2))
    assert compare(denial, holding, Timeline([denial, holding, between])) is None


def test_a_truce_said_to_hold_since_a_day_after_the_denial_began_after_it():
    denial = claim("a", "denial", **on(0))
    holding = claim("b", "in_effect", when_words="since Friday", **on(3))
    assert compare(denial, holding) is None


def test_a_deal_implementing_a_truce_signed_before_the_denial_is_an_existence_conflict():
    # "Commanders agreed on Saturday how to implement the cessation of hostilities signed
    # in Pretoria on Nov. 2", against "there is no ceasefire" said on Nov. 4.
    denial = claim("a", "denial", **on(2))
    implementing = claim("b", "agreement", began=DAY, **on(10))
    assert finding(compare(denial, implementing, Timeline([denial, implementing])), "existence")
    new_truce = claim("c", "agreement", **on(10))  # without the start: a new truce, sequence
    assert compare(denial, new_truce, Timeline([denial, new_truce])) is None


def test_a_deal_implementing_an_old_truce_is_not_a_new_truce_between_a_denial_and_a_report():
    denial = claim("a", "denial", **on(2))
    holding = claim("b", "in_effect", **reported(12))  # "has held since it was signed", undated
    implementing = claim("c", "agreement", began=DAY, **on(10))
    assert finding(compare(denial, holding, Timeline([denial, holding, implementing])), "existence")
    new_truce = claim("d", "agreement", **on(10))
    assert compare(denial, holding, Timeline([denial, holding, new_truce])) is None


def test_a_violation_of_a_truce_that_began_after_the_denial_is_sequence():
    denial = claim("a", "denial", **on(0))
    assert compare(denial, claim("b", "violation", began=DAY + 3, **on(5))) is None
    assert finding(compare(denial, claim("c", "violation", began=DAY - 3, **on(5))), "existence")


# --- terms: only within one arrangement -----------------------------------------------------------


def test_a_requested_72_hours_and_an_agreed_seven_days_are_not_a_terms_conflict():
    asked = claim("a", "request", duration=dur("72 hours", 3, "exact"))
    agreed = claim("b", "agreement", duration=dur("seven-day", 7, "exact"))
    assert compare(asked, agreed) is None


def test_an_offer_made_before_the_agreement_is_not_its_terms():
    offered = claim("a", "offer", duration=dur("72 hours", 3, "exact"), **on(0))
    agreed = claim("b", "agreement", duration=dur("seven-day", 7, "exact"), **on(2))
    assert not finding(compare(offered, agreed), "terms")
    assert compare(offered, agreed) is None


def test_two_accounts_of_one_agreement_with_10_days_and_open_ended_are_a_terms_conflict():
    ten_days = claim("a", "agreement", duration=dur("10-day", 10, "exact"))
    open_ended = claim("b", "agreement", duration=dur("open-ended", open_ended=True))
    outcome = compare(ten_days, open_ended)
    assert finding(outcome, "terms")
    assert "10-day" in outcome.reason and "open-ended" in outcome.reason


def test_a_local_pause_and_a_regional_agreement_are_not_one_arrangement():
    pause = claim("a", "agreement", scope="local", duration=dur("10-day", 10, "exact"))
    regional = claim("b", "agreement", scope="regional", duration=dur("open-ended", open_ended=True))
    assert compare(pause, regional) is None


def test_conditions_in_other_words_are_ambiguous_never_a_finding():
    a = claim("a", "agreement", conditions=("RSF fighters leave civilian homes in Khartoum",))
    b = claim("b", "agreement", conditions=("the army pulls its artillery back from the capital",))
    outcome = compare(a, b)
    assert isinstance(outcome, Ambiguous) and "conditions worded differently" in outcome.reason


# --- status --------------------------------------------------------------------------------------


def test_an_agreement_against_a_third_partys_later_offer_is_a_status_conflict():
    agreed = claim("a", "agreement", **on(1))
    offered = claim("b", "offer", proposers=frozenset({"igad"}), **on(4))
    outcome = compare(agreed, offered)
    assert finding(outcome, "status") and outcome.severity == "medium"


def test_a_side_offering_the_truce_it_agreed_to_is_no_conflict():
    agreed = claim("a", "agreement", **on(1))
    offered = claim("b", "offer", proposers=frozenset({"rapid-support-forces"}), **on(4))
    assert compare(agreed, offered) is None


def test_an_offer_dated_before_the_agreement_is_sequence():
    offered = claim("a", "offer", proposers=frozenset({"igad"}), **on(1))
    agreed = claim("b", "agreement", **on(4))
    assert compare(offered, agreed) is None


def test_in_effect_and_ended_on_the_same_day_is_sequence():
    assert compare(claim("a", "in_effect"), claim("b", "end")) is None


def test_extended_and_ended_on_the_same_day_is_a_status_conflict():
    assert finding(compare(claim("a", "extension"), claim("b", "end")), "status")


# --- scope ---------------------------------------------------------------------------------------


def test_no_truce_in_one_town_against_a_regional_agreement_is_a_partial_scope_conflict():
    local_denial = claim("a", "denial", scope="local", places=frozenset({"rutshuru"}))
    regional = claim("b", "agreement", scope="regional", places=frozenset({"north", "kivu"}))
    outcome = compare(local_denial, regional)
    assert finding(outcome, "scope")
    assert outcome.severity == "partial"


def test_no_truce_in_one_town_against_a_truce_said_of_no_place_is_a_partial_scope_conflict():
    local_denial = claim("a", "denial", scope="local", places=frozenset({"rutshuru"}))
    outcome = compare(local_denial, claim("b", "agreement"))
    assert finding(outcome, "scope") and outcome.severity == "partial"


def test_a_violation_against_a_wider_denial_is_existence_not_scope():
    violation = claim("a", "violation", scope="local", places=frozenset({"rutshuru"}))
    denial = claim("b", "denial", scope="regional")
    outcome = compare(violation, denial)
    assert finding(outcome, "existence")


def test_no_truce_in_one_town_before_a_regional_agreement_is_sequence():
    local_denial = claim("a", "denial", scope="local", places=frozenset({"rutshuru"}), **on(0))
    regional = claim("b", "agreement", scope="regional", **on(3))
    assert compare(local_denial, regional) is None


def test_a_truce_that_held_and_ended_later_is_sequence_not_a_question():
    held, ended = claim("a", "in_effect", lo=DAY, hi=DAY), claim("b", "end", lo=DAY + 3, hi=DAY + 3)
    assert compare(held, ended) is None


def test_an_offer_dated_the_day_an_undated_agreement_was_reported_is_not_known_to_precede_it():
    agreed = claim("a", "agreement", dated=False, said=DAY + 1, lo=DAY - 29, hi=DAY + 1)
    offered = claim("b", "offer", proposers=frozenset({"china"}), **on(1))
    assert finding(compare(agreed, offered), "status")
