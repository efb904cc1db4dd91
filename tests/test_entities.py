"""Entity resolution on wars the project's data never mentions (Ethiopia/Tigray, Sudan,
Colombia, eastern Congo, Yemen, Armenia/Azerbaijan): state forces by country, acronyms
defined in articles, stated aliases, core names, guarded fuzzy matching, back-references
inside an article, and the analyst's merge/split decisions through the database and CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from truce_helpers import invoke, query

from extractor.crosscheck.run import run_crosscheck
from extractor.entities.canonical import listed_alias
from extractor.entities.gazetteer import state_of, states_named_in
from extractor.entities.names import core, defined_acronyms, generic_kind, stated_aliases, stated_members
from extractor.entities.resolve import Entity, Mention, resolve, resolve_entities
from extractor.extraction.extract import ArticleExtractionResult, ground_claim
from extractor.extraction.schema import TruceClaim
from extractor.grounding.ground import NormalisedText
from extractor.read import make_article
from extractor.storage import store

TPLF_DEFINED = "Fighting resumed after the Tigray People's Liberation Front (TPLF) said it would not lay down its arms."


def resolve_articles(
    articles: dict[str, tuple[str, list[tuple[str, ...]]]], decisions: list[dict] | None = None
) -> tuple[dict[tuple[str, str], str], dict[str, Entity]]:
    """Resolve {article id: (text, [(party name, role[, standard name]), ...])}; returns
    the entity id of every (article id, name) and the entities by id."""
    mentions, texts = [], {}
    for article_id, (text, names) in articles.items():
        texts[article_id] = text
        for name, role, *standard in names:
            mentions.append(Mention(len(mentions) + 1, article_id, name, role, *standard))
    entity_of, entities = resolve(mentions, texts, decisions)
    return {(m.article_id, m.name): entity_of[m.rowid] for m in mentions}, {e.id: e for e in entities}


def one_article(*names: str, text: str = "", role: str = "party") -> dict[str, str]:
    """Entity id of each name, all mentioned as sides in one article."""
    ids, _ = resolve_articles({"a": (text, [(n, role) for n in names])})
    return {name: ids[("a", name)] for name in names}


# --- state forces by country ------------------------------------------------------------------


def test_four_ways_of_naming_ethiopias_army_are_one_state_entity():
    names = ("Ethiopia's army", "the Ethiopian army", "Ethiopian National Defense Force", "armed forces of Ethiopia")
    ids, entities = resolve_articles(
        {"a": ("", [(n, "party") for n in names[:2]]), "b": ("", [(n, "party") for n in names[2:]])}
    )
    assert len(set(ids.values())) == 1
    (entity,) = entities.values()
    assert entity.kind == "state" and entity.name == "Ethiopia"
    assert set(entity.aliases) == set(names)
    assert entity.evidence  # every merge can be inspected


def test_a_capital_names_its_countrys_state_forces():
    ids = one_article("Yerevan's forces", "the Armenian army", "Azerbaijani troops")
    assert ids["Yerevan's forces"] == ids["the Armenian army"] == "armenia"
    assert ids["Azerbaijani troops"] != ids["Yerevan's forces"]


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("Ethiopia's army", "Ethiopia"),
        ("Ethiopian National Defence Force", "Ethiopia"),
        ("armed forces of Ethiopia", "Ethiopia"),
        ("Yerevan's forces", "Armenia"),
        ("Kyiv's forces", "Ukraine"),
        ("Sudanese Armed Forces", "Sudan"),
        ("Bamako's junta", "Mali"),
        ("the Mozambican army", "Mozambique"),
        ("Colombian military", "Colombia"),
    ],
)
def test_state_of_reads_a_country_demonym_or_capital_with_a_state_head(name, country):
    assert state_of(name) == country


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("Kenya's president", "Kenya"),
        ("the Ethiopian prime minister", "Ethiopia"),
        ("Prime Minister of Pakistan", "Pakistan"),
        ("Ukrainian security cabinet", "Ukraine"),
        ("Syria's interim president", "Syria"),
        ("Royal Moroccan Armed Forces", "Morocco"),
        ("Royal Jordanian Army", "Jordan"),
        # Not the state: a leader of any faction, a former office, a rebel movement's leader.
        ("a senior Palestinian leader", None),
        ("Kenya's former president", None),
        ("Houthi leader", None),
        ("Royal Society", None),
    ],
)
def test_who_leads_or_speaks_for_a_state_names_the_state(name, country):
    """The dev and test suites' convention: a state, its government, its leaders and its
    army are one side."""
    assert state_of(name) == country


def test_a_leader_named_in_an_article_does_not_make_the_army_that_states():
    text = "Fighting between Sudan's army and the RSF went on. The foreign minister of Saudi Arabia urged calm."
    assert states_named_in(text) == {"Sudan"}


@pytest.mark.parametrize(
    "name", ["Free Syrian Army", "Syrian Democratic Forces", "Sudan People's Liberation Army", "Libyan National Army"]
)
def test_state_of_does_not_take_a_rebel_name_with_a_country_in_it_for_the_state(name):
    assert state_of(name) is None


# --- guards: names that look alike but are different parties ----------------------------------


def test_syrian_army_free_syrian_army_and_syrian_democratic_forces_are_three_entities():
    ids = one_article("the Syrian army", "Free Syrian Army", "Syrian Democratic Forces")
    assert len(set(ids.values())) == 3
    assert ids["the Syrian army"] == "syria"


def test_islamic_state_and_islamic_jihad_are_two_entities():
    ids = one_article("Islamic State", "Islamic Jihad")
    assert ids["Islamic State"] != ids["Islamic Jihad"]


def test_a_misspelt_word_of_one_group_name_merges_as_a_spelling_variant():
    ids, entities = resolve_articles(
        {"a": ("", [("Kachin Independence Army", "party")]), "b": ("", [("Kachin Independance Army", "party")])}
    )
    assert ids[("a", "Kachin Independence Army")] == ids[("b", "Kachin Independance Army")]
    (entity,) = entities.values()
    assert any("spelling variants" in reason for reason in entity.evidence)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("National Liberation Front", "National Salvation Front"),
        ("Oromo Liberation Army", "Oromo Liberation Front"),
    ],
)
def test_group_names_that_differ_in_a_word_stay_apart(first, second):
    ids = one_article(first, second)
    assert ids[first] != ids[second]


# --- acronyms defined in articles ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TPLF_DEFINED, {"TPLF": "Tigray People's Liberation Front"}),
        ("Clashes between the army and the Rapid Support Forces (RSF) spread.", {"RSF": "Rapid Support Forces"}),
        ("The ELN (Ejército de Liberación Nacional) announced a truce.", {"ELN": "Ejército de Liberación Nacional"}),
        ("Fighters of the Rwanda-backed March 23 Movement (M23) advanced.", {"M23": "March 23 Movement"}),
        ("The Ethiopian National Defense Force (ENDF) said.", {"ENDF": "Ethiopian National Defense Force"}),
        ("No acronym is defined here (or anywhere).", {}),
    ],
)
def test_defined_acronyms_reads_the_full_name_an_article_gives(text, expected):
    assert defined_acronyms(text) == expected


def test_an_acronym_defined_in_one_article_resolves_there_and_in_another_article():
    ids, entities = resolve_articles(
        {
            "defines": (TPLF_DEFINED, [("TPLF", "party"), ("Ethiopian army", "party")]),
            "uses": ("The TPLF agreed to talks in Pretoria.", [("TPLF", "party"), ("Ethiopia", "party")]),
            "full": ("", [("Tigray People's Liberation Front", "party")]),
        }
    )
    tplf = ids[("full", "Tigray People's Liberation Front")]
    assert ids[("defines", "TPLF")] == ids[("uses", "TPLF")] == tplf
    assert entities[tplf].name == "Tigray People's Liberation Front"
    assert ids[("defines", "Ethiopian army")] == ids[("uses", "Ethiopia")] != tplf


def test_an_acronym_that_is_not_the_initials_resolves_only_through_its_definition():
    # M23's initials are not those of "March 23 Movement": only the definition links them.
    defining = "Fighters of the Rwanda-backed March 23 Movement (M23) took Rutshuru."
    full = ("elsewhere", ("", [("March 23 Movement", "party")]))
    undefined = ("uses", ("M23 said it would hold its positions.", [("M23", "party")]))
    ids, _ = resolve_articles(dict([full, undefined, ("defines", (defining, [("M23 rebels", "party")]))]))
    assert ids[("uses", "M23")] == ids[("defines", "M23 rebels")] == ids[("elsewhere", "March 23 Movement")]
    ids, _ = resolve_articles(dict([full, undefined]))
    assert ids[("uses", "M23")] != ids[("elsewhere", "March 23 Movement")]


def test_the_reverse_acronym_form_links_the_eln_across_articles():
    ids, entities = resolve_articles(
        {
            "a": ("The ELN (Ejército de Liberación Nacional) announced a truce.", [("ELN", "party")]),
            "b": ("ELN guerrillas attacked a pipeline.", [("ELN guerrillas", "party"), ("Colombian army", "party")]),
            "c": ("", [("Ejercito de Liberacion Nacional", "party")]),
        }
    )
    eln = ids[("a", "ELN")]
    assert ids[("b", "ELN guerrillas")] == ids[("c", "Ejercito de Liberacion Nacional")] == eln
    assert ids[("b", "Colombian army")] == "colombia" != eln


# --- stated aliases and core names ------------------------------------------------------------------


def test_stated_aliases_reads_better_known_as():
    text = "On Sunday, the Ansar Allah movement, better known as the Houthis, said it would halt attacks."
    assert stated_aliases(text) == [("Ansar Allah movement", "Houthis")]


def test_a_stated_alias_links_ansar_allah_to_houthi_rebels_in_other_articles():
    ids, entities = resolve_articles(
        {
            "states": (
                "On Sunday, the Ansar Allah movement, better known as the Houthis, said it accepted the truce.",
                [("Yemeni government", "party")],
            ),
            "rebels": ("Houthi rebels shelled Taiz.", [("Houthi rebels", "party"), ("the Houthis", "party")]),
            "movement": ("Ansar Allah fighters withdrew.", [("Ansar Allah movement", "party")]),
        }
    )
    houthis = ids[("movement", "Ansar Allah movement")]
    assert ids[("rebels", "Houthi rebels")] == ids[("rebels", "the Houthis")] == houthis
    assert ids[("states", "Yemeni government")] == "yemen"
    assert any("also known as" in reason for reason in entities[houthis].evidence)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("Houthi rebels", "the Houthis", "the Houthi movement", "Houthi fighters"), "houthi"),
        (("Rapid Support Forces", "the Rapid Support Force"), "rapid support"),
        (("the Fano militia", "Fano militias", "Fano"), "fano"),
    ],
)
def test_core_names_drop_the_descriptors_and_plurals(names, expected):
    assert {core(n) for n in names} == {expected}


# --- generic back-references inside one article ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("the army", "state"),
        ("government troops", "state"),
        ("the military junta", "state"),
        ("the paramilitary group", "group"),
        ("the rebels", "group"),
        ("the Rapid Support Forces", None),
        ("Ethiopian army", None),
    ],
)
def test_generic_kind_tells_a_back_reference_from_a_name(name, kind):
    assert generic_kind(name) == kind


def test_generic_back_references_resolve_to_the_one_party_of_their_kind_in_the_article():
    text = "The Sudanese Armed Forces and the Rapid Support Forces agreed a truce. The paramilitary group said..."
    names = ("Sudanese Armed Forces", "Rapid Support Forces", "the army", "government troops", "the paramilitary group")
    ids = one_article(*names, text=text)
    assert ids["the army"] == ids["government troops"] == ids["Sudanese Armed Forces"] == "sudan"
    assert ids["the paramilitary group"] == ids["Rapid Support Forces"] != "sudan"


def test_a_mediator_is_not_what_the_army_refers_back_to():
    ids, _ = resolve_articles(
        {
            "a": (
                "Ethiopia's army and the TPLF met; the Kenyan government mediated. The army said...",
                [
                    ("Ethiopia's army", "party"),
                    ("TPLF", "party"),
                    ("Kenyan government", "mediator"),
                    ("the army", "party"),
                ],
            )
        }
    )
    assert ids[("a", "the army")] == ids[("a", "Ethiopia's army")] == "ethiopia"


def test_the_army_stays_its_own_entity_when_the_article_names_two_state_forces():
    ids = one_article("Armenian army", "Azerbaijani army", "the army", text="Armenia and Azerbaijan agreed a truce.")
    assert ids["the army"] not in (ids["Armenian army"], ids["Azerbaijani army"])


def test_a_generic_reference_never_merges_across_articles_by_itself():
    ids, entities = resolve_articles(
        {
            "named": ("The RSF and the army clashed.", [("Rapid Support Forces", "party"), ("Sudanese army", "party")]),
            "generic": (
                "The army said it would respect a pause.",
                [("the army", "party"), ("the paramilitary group", "party")],
            ),
            "another": ("The army denied it.", [("the army", "party")]),
        }
    )
    assert ids[("generic", "the army")] not in (ids[("named", "Sudanese army")], ids[("another", "the army")])
    assert ids[("generic", "the paramilitary group")] != ids[("named", "Rapid Support Forces")]
    assert entities[ids[("generic", "the army")]].mentions == 1


# --- the model's standard names ------------------------------------------------------------------


def test_standard_names_join_names_no_rule_could_link():
    # "the Tatmadaw" and "junta forces" name Myanmar's military only to a reader who knows it.
    ids, entities = resolve_articles(
        {
            "dispatch": ("The Tatmadaw said there is no ceasefire.", [("Tatmadaw", "party", "Myanmar Armed Forces")]),
            "monitor": ("Junta forces bombed two villages.", [("junta forces", "party", "Myanmar military")]),
            "daily": ("Myanmar's military said it agreed a truce.", [("Myanmar's military", "party")]),
        }
    )
    assert ids[("dispatch", "Tatmadaw")] == ids[("monitor", "junta forces")] == ids[("daily", "Myanmar's military")]
    assert any("standard name" in reason for reason in entities[ids[("dispatch", "Tatmadaw")]].evidence)


def test_without_standard_names_the_same_names_stay_apart():
    ids, _ = resolve_articles(
        {
            "dispatch": ("The Tatmadaw said there is no ceasefire.", [("Tatmadaw", "party")]),
            "daily": ("Myanmar's military said it agreed a truce.", [("Myanmar's military", "party")]),
        }
    )
    assert ids[("dispatch", "Tatmadaw")] != ids[("daily", "Myanmar's military")]


def test_a_generic_standard_name_links_nothing_and_a_split_name_keeps_its_own_entity():
    articles = {
        "a": ("The army and the militia agreed.", [("the militia", "party", "the militia")]),
        "b": ("The militia fired.", [("the militia", "party", "the militia")]),
        "c": ("The Tatmadaw said.", [("Tatmadaw", "party", "Myanmar Armed Forces")]),
        "d": ("Myanmar's army said.", [("Myanmar's army", "party")]),
    }
    ids, _ = resolve_articles(articles)
    assert ids[("a", "the militia")] != ids[("b", "the militia")]
    assert ids[("c", "Tatmadaw")] == ids[("d", "Myanmar's army")]
    ids, _ = resolve_articles(articles, [{"action": "split", "name": "Tatmadaw", "other": None}])
    assert ids[("c", "Tatmadaw")] != ids[("d", "Myanmar's army")]


# --- through the database ------------------------------------------------------------------------

DENIAL_TEXT = (
    "ADDIS ABABA - A government spokesman said on Tuesday there is no ceasefire between Ethiopia's army and the TPLF."
)
AGREEMENT_TEXT = (
    "MEKELLE - The Ethiopian National Defense Force and the Tigray People's Liberation Front (TPLF) "
    "agreed a ceasefire on Thursday, mediators said."
)


def party(name: str, role: str = "party") -> dict:
    return {"name": name, "role": role}


def truce_claim(kind: str, parties: list[dict], quote: str, speaker: str, when: str | None = None, **extra) -> dict:
    return {
        "kind": kind,
        "summary": f"{speaker}: {kind}",
        "parties": parties,
        "factuality": "negated" if kind == "denial" else "reported",
        "when": when,
        "evidence": [{"quote": quote}],
        "attribution": {"speaker": {"description": speaker, "anonymous": True}},
        **extra,
    }


def save_article(db, text: str, claims: list[dict], published: str) -> str:
    """Store claims as if a model had returned them: real grounding, real storage."""
    article = make_article(text, f"test:{text[:12]}", published=published)
    normalised = NormalisedText.of(article.text)
    grounded = [ground_claim(TruceClaim.model_validate(c), article, normalised) for c in claims]
    run_id = store.start_run(db, "test", "hand")
    store.save_extraction(db, run_id, ArticleExtractionResult(article, grounded), "hand", "hand")
    store.finish_run(db, run_id, store.RunTotals(extracted=1), [], "completed")
    return article.id


def save_tigray_articles(db) -> tuple[str, str]:
    denial = save_article(
        db,
        DENIAL_TEXT,
        [
            truce_claim(
                "denial",
                [party("Ethiopia's army"), party("TPLF")],
                "there is no ceasefire between Ethiopia's army and the TPLF",
                "a government spokesman",
                "on Tuesday",
            )
        ],
        published="2024-03-05",
    )
    agreement = save_article(
        db,
        AGREEMENT_TEXT,
        [
            truce_claim(
                "agreement",
                [party("Ethiopian National Defense Force"), party("Tigray People's Liberation Front (TPLF)")],
                "agreed a ceasefire on Thursday",
                "mediators",
                "on Thursday",
            )
        ],
        published="2024-03-01",
    )
    return denial, agreement


@pytest.fixture
def tigray_db(db_path: Path):
    db = store.open_db(db_path)
    denial, agreement = save_tigray_articles(db)
    yield db, denial, agreement
    db.close()


def test_every_party_row_points_at_a_stored_entity(tigray_db):
    db, _, _ = tigray_db
    run_crosscheck(db)
    entity_ids = {row["id"] for row in db.query("SELECT id FROM entities")}
    parties = list(db.query("SELECT name, entity_id FROM parties"))
    assert len(parties) == 4
    assert all(row["entity_id"] in entity_ids for row in parties)
    by_name = {row["name"]: row["entity_id"] for row in parties}
    assert by_name["Ethiopia's army"] == by_name["Ethiopian National Defense Force"] == "ethiopia"
    assert by_name["TPLF"] == by_name["Tigray People's Liberation Front (TPLF)"]


def test_existence_conflict_across_articles_is_found_through_entities_without_the_parties_table(tigray_db):
    db, denial, agreement = tigray_db
    names = [row["name"] for row in db.query("SELECT name FROM parties")]
    assert all(listed_alias(name) is None for name in names)  # no parties.toml entry involved
    report = run_crosscheck(db)
    assert report.found == {"existence": 1}
    (row,) = db.query(
        "SELECT c1.article_id AS a, c2.article_id AS b, type FROM conflicts, claims c1, claims c2 "
        "WHERE c1.id = claim_a AND c2.id = claim_b"
    )
    assert row["type"] == "existence"
    assert {row["a"], row["b"]} == {denial, agreement}


# --- the analyst's decisions through the CLI -------------------------------------------------------


def entities_json(db_path: Path) -> list[dict]:
    result = invoke(["entities", "--json", "--db", db_path])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def entity_with(rows: list[dict], alias: str) -> dict:
    return next(row for row in rows if alias in row["aliases"])


def save_fano_articles(db, kind: str = "violation") -> None:
    save_article(
        db,
        "GONDAR - The Fano militia fought Ethiopian troops near Gondar on Monday, residents said.",
        [truce_claim(kind, [party("Fano militia"), party("Ethiopian troops")], "fought Ethiopian troops", "residents")],
        published="2024-05-07",
    )
    save_article(
        db,
        "BAHIR DAR - Amhara popular forces said on Friday they would observe a pause with the federal army.",
        [
            truce_claim(
                "declaration",
                [party("Amhara popular forces"), party("Ethiopian army")],
                "would observe a pause with the federal army",
                "a spokesman",
            )
        ],
        published="2024-05-04",
    )


def test_cli_merge_joins_two_entities_and_survives_reextraction(db_path):
    db = store.open_db(db_path)
    save_fano_articles(db)
    before = entities_json(db_path)
    assert entity_with(before, "Fano militia")["id"] != entity_with(before, "Amhara popular forces")["id"]

    result = invoke(["entities", "merge", "Fano militia", "Amhara popular forces", "--db", db_path])
    assert result.exit_code == 0, result.output
    merged = entity_with(entities_json(db_path), "Fano militia")
    assert {"Fano militia", "Amhara popular forces"} <= set(merged["aliases"])
    assert query(db_path, "SELECT action, name, other FROM entity_decisions") == [
        {"action": "merge", "name": "Fano militia", "other": "Amhara popular forces"}
    ]

    # Re-extract both articles (new claims, new party rows) and resolve afresh.
    save_fano_articles(db, kind="in_effect")
    resolve_entities(db)
    ids = {row["name"]: row["entity_id"] for row in db.query("SELECT name, entity_id FROM parties")}
    assert ids["Fano militia"] == ids["Amhara popular forces"]
    again = entity_with(entities_json(db_path), "Amhara popular forces")
    assert {"Fano militia", "Amhara popular forces"} <= set(again["aliases"])
    db.close()


def test_cli_split_takes_a_name_out_of_its_entity(tigray_db, db_path):
    db, _, _ = tigray_db
    tplf = entity_with(entities_json(db_path), "TPLF")
    assert "Tigray People's Liberation Front (TPLF)" in tplf["aliases"]

    result = invoke(["entities", "split", "TPLF", "--db", db_path])
    assert result.exit_code == 0, result.output
    rows = entities_json(db_path)
    alone = entity_with(rows, "TPLF")
    assert alone["aliases"] == ["TPLF"]
    assert entity_with(rows, "Tigray People's Liberation Front (TPLF)")["id"] != alone["id"]
    # The decision is stored, so resolving again keeps it.
    resolve_entities(db)
    ids = {row["name"]: row["entity_id"] for row in db.query("SELECT name, entity_id FROM parties")}
    assert ids["TPLF"] != ids["Tigray People's Liberation Front (TPLF)"]


def test_cli_merge_of_an_unknown_name_fails_with_one_sentence_and_no_traceback(tigray_db, db_path):
    result = invoke(["entities", "merge", "Nonexistent Liberation Front", "TPLF", "--db", db_path])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Nonexistent Liberation Front" in lines[0]
    assert query(db_path, "SELECT * FROM entity_decisions") == []


def test_cli_entities_csv_parses(tigray_db, db_path):
    result = invoke(["entities", "--csv", "--db", db_path])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["id"] for row in rows} == {"ethiopia", "tigray-people-liberation-front"}
    assert {"id", "name", "kind", "mentions", "aliases"} <= set(rows[0])
    ethiopia = next(row for row in rows if row["id"] == "ethiopia")
    assert ethiopia["kind"] == "state" and ethiopia["mentions"] == "2"
    assert set(json.loads(ethiopia["aliases"])) == {"Ethiopia's army", "Ethiopian National Defense Force"}


# --- found by the second reading of this module ---------------------------------------------


@pytest.mark.parametrize("variant", ["Taang National Liberation Army", "Ta\u2019ang National Liberation Army"])
def test_an_apostrophe_inside_a_name_does_not_keep_spelling_variants_apart(variant):
    ids, _ = resolve_articles(
        {"a": ("", [("Ta'ang National Liberation Army", "party")]), "b": ("", [(variant, "party")])}
    )
    assert ids[("a", "Ta'ang National Liberation Army")] == ids[("b", variant)]


def test_two_groups_whose_names_nest_stay_apart_in_one_article():
    ids = one_article("Sudan Liberation Army", "Sudan People's Liberation Army")
    assert ids["Sudan Liberation Army"] != ids["Sudan People's Liberation Army"]


def test_a_stated_alias_starts_at_the_name_not_at_the_sentence():
    text = "Yesterday the Ansar Allah movement, better known as the Houthis, said it would halt attacks."
    assert stated_aliases(text) == [("Ansar Allah movement", "Houthis")]


def test_a_qualified_name_and_a_mixed_case_acronym_resolve_to_what_the_article_defines():
    text = "The Malian Armed Forces (FAMa) and the Rwanda-backed March 23 Movement (M23) were named."
    ids = one_article("FAMa", "Malian Armed Forces", "Rwanda-backed M23", "March 23 Movement", text=text)
    assert ids["FAMa"] == ids["Malian Armed Forces"] == "mali"
    assert ids["Rwanda-backed M23"] == ids["March 23 Movement"]


def test_members_of_a_named_alliance_stay_entities_of_their_own_on_the_alliance_side():
    text = (
        "The Three Brotherhood Alliance, which groups the Ta'ang National Liberation Army (TNLA), "
        "the Arakan Army (AA) and the Myanmar National Democratic Alliance Army (MNDAA), signed."
    )
    assert ("Arakan Army", "Three Brotherhood Alliance") in stated_members(text)
    mentions = [Mention(1, "a", "TNLA", "party"), Mention(2, "a", "Three Brotherhood Alliance", "party")]
    entity_of, entities = resolve(mentions, {"a": text})
    by_id = {e.id: e for e in entities}
    assert entity_of[1] != entity_of[2]
    assert by_id[entity_of[1]].side == by_id[entity_of[2]].side
    assert any("as a member of" in reason for reason in by_id[entity_of[1]].evidence)
