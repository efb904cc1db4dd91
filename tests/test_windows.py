"""Long articles in windows (extractor/extraction/windows.py): only the passages that speak
of a truce, with their neighbours, go to the model; offsets index into the whole article;
a claim found in two windows is kept once."""

from __future__ import annotations

import random

import pytest
from truce_helpers import ROOT, extract_cli, query

from extractor.evals.suite import load_suite
from extractor.extraction.extract import extract_article
from extractor.extraction.model import CallRecord, StructuredResult
from extractor.extraction.relevance import speaks_of_truce
from extractor.extraction.schema import ArticleExtraction
from extractor.extraction.windows import GAP, paragraphs, plan_windows, relevant_paragraphs
from extractor.read import make_article

FILLER = (
    "orchards harvest road school market river bridge rainfall council budget tourists ferry clinic festival "
    "teachers exam potatoes wool carpets bus depot electricity tariff pension museum library"
)
TRUCE_PARAGRAPHS = {
    5: "The two armies said on Monday they had agreed to stop firing along the border from midnight.",
    21: '"The guns have been quiet since Tuesday," said Ayla Demir, the mayor of the frontier town.',
    38: "A militia commander told the Harbour Gazette the truce had been broken twice overnight.",
}


def filler(rng: random.Random) -> str:
    words = FILLER.split()
    sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(9, 16))).capitalize() + "." for _ in range(6)]
    return " ".join(sentences)


def long_article(paragraph_count: int = 45, seed: int = 7) -> str:
    rng = random.Random(seed)
    return "\n\n".join(TRUCE_PARAGRAPHS.get(i) or filler(rng) for i in range(paragraph_count))


def test_an_article_that_fits_goes_whole_in_one_window():
    text = long_article(5)
    assert plan_windows(text, window_chars=len(text)) == plan_windows(text, window_chars=len(text) + 10)
    (window,) = plan_windows(text, window_chars=len(text))
    assert window.text(text) == text


def test_only_truce_paragraphs_and_their_neighbours_are_sent():
    text = long_article()
    spans = paragraphs(text)
    windows = plan_windows(text, window_chars=12_000)
    sent = [span for window in windows for span in window.spans]
    expected = sorted({spans[i + d] for i in TRUCE_PARAGRAPHS for d in (-1, 0, 1)})
    assert sorted(set(sent)) == expected
    joined = "".join(window.text(text) for window in windows)
    assert all(paragraph in joined for paragraph in TRUCE_PARAGRAPHS.values())
    assert GAP in joined  # what was left out is marked
    assert len(joined) < 0.25 * len(text)


def test_without_the_filter_windows_cover_everything_and_overlap_by_one_paragraph():
    text = long_article()
    windows = plan_windows(text, window_chars=4_000, relevant_only=False)
    assert len(windows) > 2
    assert all(window.chars <= 4_000 for window in windows)
    covered = {span for window in windows for span in window.spans}
    assert covered == set(paragraphs(text))
    for before, after in zip(windows, windows[1:], strict=False):
        assert after.spans[0] == before.spans[-1]


def test_a_text_without_blank_lines_is_cut_at_line_breaks_and_sentences():
    rng = random.Random(3)
    lines = [filler(rng) for _ in range(60)]
    lines[30] = "Rebels announced a unilateral ceasefire for the harvest, a spokesman said."
    text = "\n".join(lines)
    windows = plan_windows(text, window_chars=2_000)
    assert len(windows) == 1 and lines[30] in windows[0].text(text)
    one_paragraph = " ".join(lines)  # one paragraph longer than a window
    pieces = paragraphs(one_paragraph, limit=2_000)
    assert all(end - start <= 2_000 for start, end in pieces)
    assert all(one_paragraph[end - 1] == "." for _, end in pieces)


def test_a_long_article_without_truce_language_needs_no_call():
    text = "\n\n".join(filler(random.Random(i)) for i in range(40))
    assert not speaks_of_truce(text)
    assert plan_windows(text, window_chars=5_000) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Both sides agreed a cease-fire.",
        "The rebels said they would hold their positions.",
        "Residents said the guns fell silent at dawn.",
        "The government denied any cessation of hostilities.",
        "Mediators called for a humanitarian pause.",
        "The army halted its offensive on Sunday.",
    ],
)
def test_truce_language_is_recognised(sentence):
    assert speaks_of_truce(sentence)


class WindowClient:
    """A stand-in for the model: answers each window with the claims whose quotes it holds."""

    def __init__(self, claims: list[dict]):
        self.claims = claims
        self.requests: list[str] = []

    def structured(self, messages, response_model, purpose):
        text = messages[-1]["content"]
        self.requests.append(text)
        answer = [c for c in self.claims if all(e["quote"] in text for e in c["evidence"])]
        record = CallRecord(purpose, "stand-in", 1, "2026-01-01T00:00:00Z", input_tokens=len(text.split()))
        return StructuredResult(ArticleExtraction.model_validate({"claims": answer}), [record])


def claim(quote: str, kind: str) -> dict:
    return {
        "kind": kind,
        "summary": quote[:80],
        "parties": [{"name": "the two armies", "role": "party"}],
        "factuality": "reported",
        "attribution": {"speaker": {"anonymous": True}},
        "evidence": [{"quote": quote}],
    }


def test_claims_from_windows_are_grounded_in_the_whole_article_and_kept_once():
    text = long_article()
    windows = plan_windows(text, window_chars=1_500, relevant_only=False)
    start, end = windows[1].spans[-1]  # the paragraph two windows share
    shared = text[start:end]
    client = WindowClient(
        [claim(TRUCE_PARAGRAPHS[5], "agreement"), claim(shared, "in_effect"), claim(TRUCE_PARAGRAPHS[38], "violation")]
    )
    result = extract_article(make_article(text, "long.txt"), client, window_chars=1_500, relevant_only=False)
    assert result.error is None
    assert len(client.requests) == len(windows) and all(text not in r for r in client.requests)
    assert sum(shared in request for request in client.requests) == 2
    assert sorted(c.claim.kind for c in result.claims) == ["agreement", "in_effect", "violation"]
    for grounded in result.claims:
        (evidence,) = grounded.evidence
        assert grounded.grounding == "grounded"
        assert text[evidence.start : evidence.end] == grounded.claim.evidence[0].quote


def test_the_filter_sends_fewer_words_than_the_whole_article_and_finds_the_same_claims():
    text = long_article()
    claims = [claim(TRUCE_PARAGRAPHS[5], "agreement"), claim(TRUCE_PARAGRAPHS[38], "violation")]
    whole, windowed = WindowClient(claims), WindowClient(claims)
    article = make_article(text, "long.txt")
    found_whole = extract_article(article, whole, window_chars=len(text))
    found_windowed = extract_article(article, windowed, window_chars=3_000)
    assert [c.evidence[0].start for c in found_whole.claims] == [c.evidence[0].start for c in found_windowed.claims]
    assert found_windowed.input_tokens < 0.3 * found_whole.input_tokens


def test_a_long_article_without_truce_language_is_stored_with_no_claims_and_no_call():
    text = "\n\n".join(filler(random.Random(i)) for i in range(40))
    client = WindowClient([])
    result = extract_article(make_article(text, "long.txt"), client, window_chars=5_000)
    assert (client.requests, result.claims, result.error) == ([], [], None)


@pytest.mark.parametrize(
    "sentence",
    [
        "Apple traders in the valley agreed a price truce until the harvest ends.",
        "The trade talks were put on pause until after the elections.",
        "Traffic on the highway came to a halt after the landslide.",
        "Everything is on pause while the snow lasts.",
    ],
)
def test_words_that_name_no_truce_between_armed_parties_are_not_truce_language(sentence):
    assert not speaks_of_truce(sentence)


def test_the_filter_keeps_every_gold_quote_of_every_suite():
    """Were every suite article long, the filter (truce paragraphs and their neighbours)
    would still send every paragraph a hand-annotated claim quotes."""
    lost = []
    for folder in sorted((ROOT / "evals" / "suites").iterdir()):
        for item in load_suite(folder).articles:
            text = item.article.text
            spans = paragraphs(text)
            kept = {spans[i] for i in relevant_paragraphs(text, spans)}
            for claim_ in item.gold.claims:
                for evidence in claim_.evidence:
                    at = text.index(evidence.quote)
                    touched = [s for s in spans if s[0] < at + len(evidence.quote) and at < s[1]]
                    if not set(touched) <= kept:
                        lost.append(f"{folder.name}/{item.article.source}: {evidence.quote[:60]}")
    assert lost == []


def test_the_long_dev_article_costs_far_fewer_input_tokens_and_gives_the_same_claims(reference_url, tmp_path):
    """kashmir-01 (34,000 characters, five truce paragraphs) against the reference server:
    in windows, against sent whole."""
    article = ROOT / "evals" / "suites" / "dev" / "articles" / "kashmir-01.md"
    found, tokens = {}, {}
    for name, extra in [("whole", ["--window-chars", "100000"]), ("windows", [])]:
        db = tmp_path / f"{name}.db"
        result = extract_cli([article], db, reference_url, "--no-crosscheck", *extra)
        assert result.exit_code == 0, result.output
        found[name] = query(db, "SELECT kind, start, end FROM claims JOIN evidence ON claim_id = claims.id ORDER BY 2")
        (tokens[name],) = [r["n"] for r in query(db, "SELECT SUM(input_tokens) AS n FROM model_calls")]
    assert found["windows"] == found["whole"] and len(found["whole"]) >= 5
    assert tokens["windows"] <= 0.4 * tokens["whole"], tokens


def test_of_two_copies_of_a_claim_the_one_naming_its_speaker_stays():
    text = long_article()
    windows = plan_windows(text, window_chars=1_500, relevant_only=False)
    start, end = windows[1].spans[-1]
    shared = text[start:end]
    anonymous, named = claim(shared, "in_effect"), claim(shared, "in_effect")
    named["attribution"] = {"speaker": {"name": "Ayla Demir", "title": "mayor"}}

    class SecondWindowNames(WindowClient):
        def structured(self, messages, response_model, purpose):
            self.claims = [named] if len(self.requests) == 2 else [anonymous]  # the later copy names him
            return super().structured(messages, response_model, purpose)

    result = extract_article(
        make_article(text, "long.txt"), SecondWindowNames([]), window_chars=1_500, relevant_only=False
    )
    (kept,) = [c for c in result.claims if c.claim.kind == "in_effect"]
    assert kept.claim.attribution.speaker.name == "Ayla Demir"
