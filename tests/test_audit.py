"""`truce audit`: sentences about a truce that no stored claim's evidence covers.

Measured on the `dev` eval suite two ways:
- after a real replay of its `reference` recording (every gold claim stored), no flagged
  sentence holds a gold claim's evidence;
- with the gold claims stored minus a known subset (through the real grounding and
  storage, no recording and no HTTP), the audit flags the sentences of the dropped claims.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_windows
from truce_helpers import invoke

from extractor.errors import NotFoundError
from extractor.evals.run import run_eval
from extractor.evals.suite import Suite, load_suite
from extractor.extraction.extract import ArticleExtractionResult, ground_claim
from extractor.extraction.relevance import TRUCE_LANGUAGE as FILTER_LANGUAGE
from extractor.extraction.relevance import speaks_of_truce
from extractor.extraction.schema import TruceClaim
from extractor.grounding.ground import NormalisedText, align_quote
from extractor.read import Article, article_id
from extractor.report.audit import (
    audit,
    run_audit,
    select_articles,
    split_sentences,
    truce_words,
    uncovered_sentences,
)
from extractor.storage import store

SUITES = Path(__file__).resolve().parent.parent / "evals" / "suites"
DEV = SUITES / "dev"


# --- sentences and truce language --------------------------------------------------------


def test_sentences_keep_their_offsets_and_survive_abbreviations():
    text = (
        "Truce holds in Kordofan\n"
        "KHARTOUM, Nov. 2 - Gen. Abdel Fattah al-Burhan met U.S. envoys at 9 a.m. on Sunday. "
        '"We will stop the fighting," he said. Was it enough? Few thought so… Others disagreed.\n\n'
        "John F. Kennedy Street was quiet."
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Truce holds in Kordofan",
        "KHARTOUM, Nov. 2 - Gen. Abdel Fattah al-Burhan met U.S. envoys at 9 a.m. on Sunday.",
        '"We will stop the fighting," he said.',
        "Was it enough?",
        "Few thought so…",
        "Others disagreed.",
        "John F. Kennedy Street was quiet.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


@pytest.mark.parametrize(
    "sentence",
    [
        "Both sides agreed a truce.",
        "The cease-fire collapsed.",
        "A cease fire was called.",
        "Rebels announced a ceasefire.",
        "The army halted its offensive.",
        "Mediators called for a humanitarian pause.",
        "A cessation of hostilities was signed.",
        "The armistice of 1953 still holds.",
        "Elders begged the militias to stop the fighting.",
        "The commander said his men would hold their fire.",
        "Church leaders asked both sides to silence their guns.",
        "Envoys urged de-escalation along the border.",
    ],
)
def test_truce_language_is_found(sentence):
    assert truce_words(sentence)


@pytest.mark.parametrize(
    "sentence",
    ["Truckers blocked the road.", "The army advanced on the town.", "Talks on prisoner swaps resumed."],
)
def test_other_sentences_hold_no_truce_language(sentence):
    assert truce_words(sentence) == ()


def parametrized(test) -> list[str]:
    """The values a test of another module is parametrized with."""
    (mark,) = [mark for mark in test.pytestmark if mark.name == "parametrize"]
    return list(mark.args[1])


# Sentences the long-article filter sends to the model: the filter's own tests, and more.
FILTER_SENTENCES = [
    *parametrized(test_windows.test_truce_language_is_recognised),
    "Elders of both clans agreed a hudna until the end of Ramadan.",
    "Villagers said the guns fell silent shortly after midnight.",
    "The militia promised to lay down their arms by Friday.",
    "Since Tuesday the front has been quiet, a farmer said.",
    "A lull in the shelling let aid trucks into the town.",
    "The army suspended military operations in the north.",
    "The minister called it only an initiative that we are still studying.",
    "The rebels rejected talks with preconditions.",
    "Both armies held their positions overnight.",
    "The border remained calm on Sunday.",
]


@pytest.mark.parametrize("sentence", FILTER_SENTENCES)
def test_every_sentence_the_filter_sends_is_flagged_with_the_filters_words(sentence):
    assert speaks_of_truce(sentence)  # the filter sends it
    text = f"Markets reopened. {sentence} Schools stayed shut."
    flagged = list(uncovered_sentences(text, []))
    assert [s.text for s, _ in flagged] == [sentence]
    words = flagged[0][1]
    for match in FILTER_LANGUAGE.finditer(sentence):
        assert any(match.group(0) in word for word in words), (match.group(0), words)


def test_the_audit_flags_every_suite_sentence_the_filter_would_send():
    """Every sentence of every suite article that the filter accepts holds audit words
    that cover the filter's."""
    checked = 0
    for folder in sorted(p for p in SUITES.iterdir() if p.is_dir()):
        for item in load_suite(folder).articles:
            for sentence in split_sentences(item.article.text):
                if not speaks_of_truce(sentence.text):
                    continue
                checked += 1
                words = truce_words(sentence.text)
                missing = [
                    m.group(0)
                    for m in FILTER_LANGUAGE.finditer(sentence.text)
                    if not any(m.group(0) in w for w in words)
                ]
                assert not missing, (item.article.source, sentence.text, missing)
    assert checked > 100


def test_the_audits_own_broader_words_are_kept():
    # The filter leaves out "pause" and "halt" alone and "ease tensions"; the audit keeps them.
    for sentence, word in [
        ("Residents said the pause was already fraying.", "pause"),
        ("Work on the dam came to a halt.", "halt"),
        ("Envoys flew in to ease tensions.", "ease tensions"),
        ("Mediators called for a humanitarian pause.", "humanitarian pause"),
    ]:
        assert word in truce_words(sentence), sentence
    assert truce_words("Mediators called for a humanitarian pause.") == ("humanitarian pause",)


def test_a_sentence_touched_by_any_evidence_is_covered():
    text = "Rebels offered a truce. The army said it would halt shelling. Markets reopened. A pause began."
    sentences = split_sentences(text)
    evidence = [(sentences[1].start + 4, sentences[1].start + 8)]  # four characters of the second sentence
    flagged = [s.text for s, _ in uncovered_sentences(text, evidence)]
    assert flagged == ["Rebels offered a truce.", "A pause began."]


# --- the command --------------------------------------------------------------------------

ARTICLE = (
    "Harbour town truce frays\n"
    "PORT ELIN, June 4 - The Coast Brigade agreed a week-long ceasefire with the Highland Army on Monday, "
    "a brigade spokesman said. Residents said the pause was already fraying. Fishing boats stayed in port."
)


def _store(db, text: str, quotes: list[str], source: str) -> str:
    article = Article(article_id(text), text, source)
    claims = [
        TruceClaim.model_validate({"kind": "agreement", "summary": "A ceasefire.", "factuality": "reported",
                                   "evidence": [{"quote": quote}]})
        for quote in quotes
    ]  # fmt: skip
    grounded = [ground_claim(claim, article, NormalisedText.of(text)) for claim in claims]
    run_id = store.start_run(db, "test", "test-model")
    store.save_extraction(db, run_id, ArticleExtractionResult(article, grounded), "test-model", "test-prompt")
    return article.id


def test_audit_command_lists_uncovered_sentences(tmp_path):
    db_path = tmp_path / "t.db"
    db = store.open_db(db_path)
    quote = "The Coast Brigade agreed a week-long ceasefire with the Highland Army on Monday"
    covered = _store(db, ARTICLE, [quote], "a-harbour.txt")
    bare = _store(db, "Militias declared a truce in the valley. Nobody believed it.", [], "b-valley.txt")
    result = invoke(["audit", "--db", db_path, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["article_id"], r["text"]) for r in rows] == [
        (covered, "Harbour town truce frays"),
        (covered, "Residents said the pause was already fraying."),
        (bare, "Militias declared a truce in the valley."),
    ]
    texts = {covered: ARTICLE, bare: "Militias declared a truce in the valley. Nobody believed it."}
    assert all(texts[r["article_id"]][r["start"] : r["end"]] == r["text"] for r in rows)
    assert rows[1]["truce_words"] == ["pause"]

    only = invoke(["audit", "--db", db_path, "--article", bare[:6], "--csv"])
    assert only.exit_code == 0 and only.output.splitlines()[0] == "article_id,start,end,text,truce_words"
    assert len(only.output.splitlines()) == 2

    table = invoke(["audit", "--db", db_path])
    assert table.exit_code == 0 and "Residents said the pause was already fraying." in table.output

    unknown = invoke(["audit", "--db", db_path, "--article", "ffff0000"])
    assert unknown.exit_code == 1 and "There is no article 'ffff0000'" in unknown.output


def unextracted(text: str, source: str) -> Article:
    return Article(article_id(text), text, source)


def test_articles_without_a_successful_extraction_are_not_audited(tmp_path):
    """An article stored by `truce batch prepare` and not ingested yet, or whose
    extraction failed, has no claims because no model answered: the audit leaves it out
    and says why, instead of flagging all its truce sentences."""
    db_path = tmp_path / "t.db"
    db = store.open_db(db_path)
    prepared = unextracted("Rebels offered a truce in the north. Nobody answered.", "a-prep.txt")
    store.save_article(db, prepared)
    failed = unextracted("The army announced a ceasefire. Shops opened.", "b-fail.txt")
    run_id = store.start_run(db, "test", "test-model")
    store.save_extraction(db, run_id, ArticleExtractionResult(failed, error="The model timed out."), "m", "p")
    extracted = _store(db, "Militias declared a truce in the valley. Nobody believed it.", [], "c-done.txt")
    # Extracted once, then a later attempt failed: its stored claims are current, so it is audited.
    later = unextracted("A hudna was agreed. The guns fell silent.", "d-later.txt")
    _store(db, later.text, [], later.source)
    store.save_extraction(db, run_id, ArticleExtractionResult(later, error="Connection reset."), "m", "p")

    result = run_audit(db)
    assert [(s.article_id, s.text) for s in result.uncovered] == [
        (extracted, "Militias declared a truce in the valley."),
        (later.id, "A hudna was agreed."),
        (later.id, "The guns fell silent."),
    ]
    assert [(a["id"], a["extraction"]) for a in result.not_audited] == [
        (prepared.id, "not extracted yet"),
        (failed.id, "extraction failed: The model timed out."),
    ]

    cli = invoke(["audit", "--db", db_path, "--json"])
    assert cli.exit_code == 0, cli.output
    assert {row["article_id"] for row in json.loads(cli.stdout)} == {extracted, later.id}
    assert f"Not audited: article {prepared.id} (a-prep.txt), not extracted yet." in cli.stderr
    assert f"Not audited: article {failed.id} (b-fail.txt), extraction failed: The model timed out." in cli.stderr
    one = invoke(["audit", "--db", db_path, "--article", prepared.id[:6], "--json"])
    assert one.exit_code == 0 and json.loads(one.stdout) == [] and "not extracted yet" in one.stderr


def test_choosing_articles_by_prefix_reads_only_their_text(tmp_path):
    db = store.open_db(tmp_path / "t.db")
    ids = [_store(db, f"Truce number {n} was signed.", [], f"{n}.txt") for n in range(30)]
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    chosen = select_articles(db, [ids[7][:10], ids[3]])
    db.conn.set_trace_callback(None)
    assert sorted(a["id"] for a in chosen) == sorted({ids[7], ids[3]})
    reading_text = [s for s in statements if "text" in s and "articles" in s]
    assert reading_text and all("LIKE" in s for s in reading_text), reading_text
    # A prefix is a prefix, not a pattern.
    for pattern in ("%", "_", ids[0][:3] + "%"):
        with pytest.raises(NotFoundError):
            select_articles(db, [pattern])


# --- measured on the dev suite ------------------------------------------------------------


def gold_spans(suite: Suite) -> dict[str, list[tuple[str, tuple[int, int]]]]:
    """Per gold claim key `<stem>#<id>`: (article id, span) of each of its evidence quotes,
    located in the article the way grounding locates a model's quote."""
    spans = {}
    for item in suite.articles:
        text, normalised = item.article.text, NormalisedText.of(item.article.text)
        for claim in item.gold.claims:
            aligned = [align_quote(e.quote, text, normalised) for e in claim.evidence]
            spans[item.claim_key(claim.id)] = [(item.article.id, (a.start, a.end)) for a in aligned]
            assert all(a.start is not None for a in aligned), "gold quotes are in their articles"
    return spans


class GoldStore:
    """The suite's gold claims, grounded once, stored minus a chosen subset as if a model
    had returned them: real grounding and storage, no recording, no HTTP. Storing again
    replaces each article's claims, as re-extracting it does."""

    def __init__(self, db, suite: Suite):
        self.db, self.suite = db, suite
        self.grounded = {
            item.claim_key(claim.id): ground_claim(
                TruceClaim.model_validate(claim.model_answer()), item.article, NormalisedText.of(item.article.text)
            )
            for item in suite.articles
            for claim in item.gold.claims
        }

    def store_all_but(self, dropped: set[str]) -> None:
        run_id = store.start_run(self.db, "test: gold minus a subset", "gold")
        for item in self.suite.articles:
            claims = [
                self.grounded[item.claim_key(c.id)] for c in item.gold.claims if item.claim_key(c.id) not in dropped
            ]
            store.save_extraction(self.db, run_id, ArticleExtractionResult(item.article, claims), "gold", "gold")
        store.finish_run(self.db, run_id, store.RunTotals(extracted=len(self.suite.articles)), [], "completed")


def overlaps(sentence, span: tuple[int, int]) -> bool:
    return span[0] < sentence.end and sentence.start < span[1]


@pytest.fixture(scope="module")
def dev() -> Suite:
    return load_suite(DEV)


def test_after_replaying_the_reference_recording_no_flagged_sentence_holds_a_gold_claim(dev, tmp_path):
    run_eval(dev, recording="reference", keep_db=tmp_path / "dev.db")
    db = store.open_db(tmp_path / "dev.db")
    assert db["claims"].count == len(dev.gold_claims())  # the replay stored every gold claim
    flagged = audit(db)
    spans = gold_spans(dev)
    hits = [
        (key, sentence.text)
        for key, quotes in spans.items()
        for sentence in flagged
        for article, span in quotes
        if sentence.article_id == article and overlaps(sentence, span)
    ]
    assert hits == []
    # What it does flag includes every span the gold lists as no claim (reader comments,
    # trade "truces", related headlines) whose sentence speaks of a truce.
    flagged_at = {(s.article_id, s.start) for s in flagged}
    distractors = set()
    for item in dev.articles:
        text = item.article.text
        evidence = [span for quotes in spans.values() for article, span in quotes if article == item.article.id]
        for no_claim in item.gold.no_claim_spans:
            start = text.index(no_claim.quote)
            span = (start, start + len(no_claim.quote))
            for sentence in split_sentences(text):
                touched = any(overlaps(sentence, other) for other in evidence)
                if overlaps(sentence, span) and truce_words(sentence.text) and not touched:
                    assert (item.article.id, sentence.start) in flagged_at, sentence.text
                    distractors.add((item.article.id, sentence.start))
    assert distractors
    print(
        f"\ndev, reference replay: {len(flagged)} sentence(s) flagged in {len({s.article_id for s in flagged})} "
        f"article(s), {len(distractors)} of them the gold's no-claim spans; gold claims in them: {len(hits)}"
    )


def test_dropping_gold_claims_flags_their_sentences(dev, tmp_path):
    """Every gold claim is dropped once: round k stores each article's gold minus its k-th
    claim. A dropped claim is caught when a flagged sentence holds its evidence; it must
    be, whenever a sentence holding its evidence speaks of a truce and no kept claim's
    evidence touches that sentence."""
    spans = gold_spans(dev)
    texts = {item.article.id: item.article.text for item in dev.articles}
    db = store.open_db(tmp_path / "gold.db")
    gold = GoldStore(db, dev)
    gold.store_all_but(set())
    flagged_with_all = {(s.article_id, s.start) for s in audit(db)}
    caught, must_be_caught, dropped_total = 0, 0, 0
    rounds = max(len(item.gold.claims) for item in dev.articles)
    for k in range(rounds):
        dropped = {item.claim_key(item.gold.claims[k].id) for item in dev.articles if len(item.gold.claims) > k}
        gold.store_all_but(dropped)
        flagged = audit(db)
        # Nothing new is flagged that a dropped claim does not explain.
        for sentence in flagged:
            if (sentence.article_id, sentence.start) not in flagged_with_all:
                assert any(
                    article == sentence.article_id and overlaps(sentence, span)
                    for key in dropped
                    for article, span in spans[key]
                ), sentence.text
        for key in dropped:
            dropped_total += 1
            article = spans[key][0][0]
            kept = [
                span for other, quotes in spans.items() if other not in dropped for a, span in quotes if a == article
            ]
            holding = [s for s in split_sentences(texts[article]) if any(overlaps(s, span) for _, span in spans[key])]
            expected = [s for s in holding if truce_words(s.text) and not any(overlaps(s, span) for span in kept)]
            found = {(s.start, s.end) for s in flagged if s.article_id == article}
            assert {(s.start, s.end) for s in expected} <= found, key
            must_be_caught += bool(expected)
            caught += any((s.start, s.end) in found for s in holding)
    assert dropped_total == len(dev.gold_claims())
    assert caught == must_be_caught
    print(
        f"\ndev, gold minus one claim per article per round ({rounds} rounds): {caught} of {dropped_total} dropped "
        f"claims flagged; {dropped_total - must_be_caught} hold their evidence in sentences without truce words "
        "or with a kept claim's evidence"
    )
    # Measured 84 of 89: the five others speak of the truce only through context
    # ("the agreement", "an extension", "the text"). A smaller word list falls below.
    assert caught / dropped_total >= 0.85
