"""Canonical party names (extractor/canonical.py and parties.toml): the names the
cross-check blocks on and `truce claims --party` filters by."""

from __future__ import annotations

import pytest

from extractor.entities.canonical import canonical_name, lookup, normalise_name, party_keys


@pytest.mark.parametrize(
    "name",
    [
        "ISIS",
        "IS",
        "ISIL",
        "Islamic State",
        "Daesh",
        "the Islamic State",
        "Islamic State group",
        "isis",
        "I.S.I.S.",
        "ISIS/ISIL",
        "Islamic State of Iraq and the Levant",
        "ISIS militants",
        "Daesh terrorists",
        "  Islamic   State  ",
    ],
)
def test_islamic_state_names_are_isis(name):
    assert canonical_name(name) == "ISIS"


@pytest.mark.parametrize(
    "name",
    [
        "PMF",
        "Popular Mobilization Forces",
        "Popular Mobilisation Forces",
        "Hashd al-Shaabi",
        "al-Hashd al-Shaabi",
        "the Hashd",
        "Hashd al-Shaabi (PMF)",
    ],
)
def test_popular_mobilization_forces_names_are_pmf(name):
    assert canonical_name(name) == "PMF"


@pytest.mark.parametrize(
    "name",
    ["SDF", "Syrian Democratic Forces", "U.S.-backed Syrian Democratic Forces", "the SDF"],
)
def test_syrian_democratic_forces_names_are_sdf(name):
    assert canonical_name(name) == "SDF"


@pytest.mark.parametrize(
    "name",
    [
        "US-led coalition",
        "US-led Coalition",
        "Global Coalition",
        "US-led Global Coalition",
        "the Coalition",
        "US-led coalition troops",
        "American-led forces",
    ],
)
def test_coalition_names_are_us_led_coalition(name):
    assert canonical_name(name) == "US-led Coalition"


@pytest.mark.parametrize("name", ["U.S.", "US", "the US", "United States", "USA", "Washington"])
def test_united_states_names(name):
    assert canonical_name(name) == "United States"


def test_iran_backed_kataib_hezbollah_is_kataib_hezbollah_in_the_militia_group():
    assert canonical_name("Iran-backed Kataib Hezbollah") == "Kataib Hezbollah"
    keys = party_keys("Iran-backed Kataib Hezbollah")
    assert "Kataib Hezbollah" in keys
    assert "Iran-backed militias" in keys


def test_spelling_variants_of_kataib_hezbollah():
    assert canonical_name("Kata\u2019ib Hezbollah") == "Kataib Hezbollah"
    assert canonical_name("Kataeb Hezbollah") == "Kataib Hezbollah"


def test_party_keys_follow_groups_transitively():
    # Badr belongs to the PMF, which belongs to the Iraqi forces.
    assert party_keys("Badr Organization") == {"Badr Organization", "PMF", "Iraqi forces"}


def test_coalition_keys_include_the_united_states():
    assert party_keys("Global Coalition") == {"US-led Coalition", "United States"}


def test_isis_keys_do_not_leak_into_other_parties():
    assert party_keys("Daesh") == {"ISIS"}
    assert "ISIS" not in party_keys("Peshmerga")


@pytest.mark.parametrize(
    ("name", "tidied"),
    [
        ("Hamas", "Hamas"),
        ("  Arab   tribes  ", "Arab tribes"),
        ("Kirkuk\npolice chief", "Kirkuk police chief"),
        ("Lebanese Hezbollah", "Lebanese Hezbollah"),
        ("Islamic Jihad", "Islamic Jihad"),
    ],
)
def test_unknown_names_come_back_tidied_not_dropped(name, tidied):
    assert lookup(name) is None
    assert canonical_name(name) == tidied


def test_unknown_name_is_its_own_party_key():
    assert party_keys("Arab tribes") == {"arab tribes"}
    assert party_keys("Hamas") != party_keys("Islamic Jihad")


@pytest.mark.parametrize(
    "name",
    ["Islamabad police", "Isla Vista militia", "police chief who is from Kirkuk", "This group"],
)
def test_is_inside_an_unrelated_name_does_not_become_isis(name):
    assert canonical_name(name) != "ISIS"
    assert "ISIS" not in party_keys(name)


def test_us_inside_an_unrelated_word_does_not_become_united_states():
    assert canonical_name("Russian forces") == "Russian forces"
    assert canonical_name("Houthis") == "Houthis"


def test_longest_alias_wins_inside_a_longer_name():
    # "Syrian Democratic Forces" contains no shorter alias that should win, and
    # "US-backed Syrian Democratic Forces" must not become "United States".
    assert canonical_name("US-backed Syrian Democratic Forces") == "SDF"


def test_normalise_name_drops_dots_case_and_leading_the():
    assert normalise_name("The U.S.") == "us"
    assert normalise_name("Kata\u2019ib  Hezbollah") == "kata'ib hezbollah"


@pytest.mark.parametrize("name", ["Saudi-led coalition", "Syrian National Coalition"])
def test_other_coalitions_are_not_the_us_led_coalition(name):
    assert canonical_name(name) != "US-led Coalition"


@pytest.mark.parametrize("name", ["IS militants", "IS fighters"])
def test_is_followed_by_a_noun_is_isis(name):
    assert canonical_name(name) == "ISIS"
