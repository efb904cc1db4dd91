"""Grounding (extractor/grounding/ground.py): every evidence quote is located in the article by
character offsets, and slicing the article with them gives back the stored quote."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from extractor.grounding.ground import NormalisedText, align_quote, name_in_text

ROOT = Path(__file__).resolve().parent.parent
SEED_FILES = sorted((ROOT / "evals" / "suites" / "seeds" / "articles").glob("*.txt"))
GOLD = ROOT / "evals" / "suites" / "seeds" / "gold"

ARTICLE = (
    "BEIRUT \u2013 The commander said: \u201cWe don\u2019t take such demands seriously.\u201d\n"
    "In certain cases, some Arab tribes\u2014for their own interests\u2014try to bring about cease fires.\n"
    "The   truce\n  began on Thursday night, officials said."
)


def assert_sliced(evidence, text: str) -> None:
    """The invariant the database relies on: stored quote == text[start:end]."""
    assert evidence.start is not None and evidence.end is not None
    assert 0 <= evidence.start < evidence.end <= len(text)
    assert text[evidence.start : evidence.end] == evidence.quote


# --- exact ------------------------------------------------------------------------


def test_exact_quote_gives_its_offsets():
    quote = "some Arab tribes\u2014for their own interests\u2014try"
    result = align_quote(quote, ARTICLE)

    assert result.alignment == "exact"
    assert result.start == ARTICLE.index(quote)
    assert result.end == result.start + len(quote)
    assert result.quote == quote
    assert result.model_quote == quote
    assert result.score == 100.0
    assert_sliced(result, ARTICLE)


def test_exact_quote_with_surrounding_whitespace_is_trimmed_not_rejected():
    result = align_quote("  officials said.\n", ARTICLE)

    assert result.alignment == "exact"
    assert result.quote == "officials said."
    assert result.model_quote == "  officials said.\n"
    assert_sliced(result, ARTICLE)


# --- normalised -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_quote", "article_words"),
    [
        # straight quotes and apostrophe against the article's curly ones
        ("We don't take such demands seriously.", "We don\u2019t take such demands seriously."),
        ("The commander said: \"We don't take", "The commander said: \u201cWe don\u2019t take"),
        # a hyphen for the article's em dash
        ("tribes-for their own interests-try", "tribes\u2014for their own interests\u2014try"),
        # an en dash for the article's en dash written as a hyphen
        ("BEIRUT - The commander", "BEIRUT \u2013 The commander"),
        # whitespace and a newline collapsed
        ("The truce began on Thursday night", "The   truce\n  began on Thursday night"),
        # case
        ("THE TRUCE BEGAN ON THURSDAY NIGHT", "The   truce\n  began on Thursday night"),
        ("cease fires. the truce", "cease fires.\nThe   truce"),
    ],
)
def test_normalised_quote_maps_back_to_the_articles_own_characters(model_quote, article_words):
    result = align_quote(model_quote, ARTICLE)

    assert result.alignment == "normalised"
    assert result.quote == article_words
    assert result.model_quote == model_quote
    assert result.start == ARTICLE.index(article_words)
    assert_sliced(result, ARTICLE)


def test_quotation_marks_the_model_added_around_a_quote_are_tolerated():
    text = "Officials said the truce held through the night."
    result = align_quote('"the truce held through the night."', text)

    assert result.alignment == "normalised"
    assert result.quote == "the truce held through the night."
    assert_sliced(result, text)


def test_double_hyphen_for_em_dash_is_still_grounded_on_the_articles_words():
    result = align_quote("tribes--for their own interests--try", ARTICLE)

    assert result.alignment in ("normalised", "fuzzy")
    assert result.quote == "tribes\u2014for their own interests\u2014try"
    assert_sliced(result, ARTICLE)


def test_double_hyphen_for_em_dash_counts_as_normalised():
    assert align_quote("tribes--for their own interests--try", ARTICLE).alignment == "normalised"


def test_normalised_search_reuses_a_precomputed_normalised_text():
    normalised = NormalisedText.of(ARTICLE)
    result = align_quote("We don't take such demands seriously.", ARTICLE, normalised)

    assert result.alignment == "normalised"
    assert_sliced(result, ARTICLE)


# --- fuzzy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_quote", "article_words"),
    [
        # one word changed
        (
            "He later said on Twitter that there is no official ceasefire though both parties are "
            "talking with one another.",
            "there is no \u201cofficial \u2018ceasefire\u2019\u201d though both parties are talking with one another.",
        ),
        # two words changed
        (
            "Hadi al-Amiri, secretary general of the Badr Organisation, said a truce began Thursday "
            "night and the Shiite forces do not want to see a civil war",
            "Hadi al-Amiri, secretary general of the Badr organization, said a ceasefire began Thursday "
            "night and the Shiite forces do not want to see a civil war",
        ),
        (
            "Colonel Ryan Dillon, the spokesman for the Coalition in Baghdad, had said",
            "Colonel Ryan Dillon, the spokesperson for the Coalition in Baghdad, had said",
        ),
    ],
)
def test_quote_with_a_word_or_two_changed_is_fuzzy_and_stores_the_articles_words(model_quote, article_words, seed_text):
    text = seed_text("003")
    result = align_quote(model_quote, text)

    assert result.alignment == "fuzzy"
    assert 80 <= result.score < 100
    assert result.model_quote == model_quote
    assert result.quote != model_quote
    assert article_words in result.quote
    assert_sliced(result, text)


def test_fuzzy_span_does_not_cut_a_word_in_half(seed_text):
    text = seed_text("003")
    result = align_quote("Colonel Ryan Dillon, the spokesman for the Coalition in Baghdad, had said", text)

    assert result.alignment == "fuzzy"
    assert not (text[result.start - 1].isalnum() and text[result.start].isalnum())
    assert not (text[result.end - 1].isalnum() and text[result.end].isalnum())


# --- ungrounded -------------------------------------------------------------------


@pytest.mark.parametrize(
    "invented",
    [
        "Hamas and Israel agreed to a ten-year truce in Gaza, Egyptian mediators said on Tuesday.",
        "The Houthis announced a unilateral ceasefire along the Saudi border.",
        "ISIS declared a nationwide ceasefire with the Iraqi government.",
        "The Peshmerga agreed a ceasefire with ISIS in Kirkuk.",
    ],
)
@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.name[:3])
def test_invented_sentence_is_ungrounded_in_every_seed(invented, seed):
    text = seed.read_text("utf-8")
    result = align_quote(invented, text)

    assert result.alignment == "ungrounded"
    assert result.start is None and result.end is None
    assert result.score == 0.0
    assert result.quote == invented  # the model's words are kept, never passed off as the article's


@pytest.mark.parametrize("quote", ["", "   "])
def test_empty_quote_is_ungrounded(quote):
    result = align_quote(quote, ARTICLE)
    assert result.alignment == "ungrounded"
    assert result.start is None


@pytest.mark.parametrize("quote", ['""', "' '", "--"])
def test_quote_of_only_punctuation_is_ungrounded(quote):
    assert align_quote(quote, ARTICLE).alignment == "ungrounded"


@pytest.mark.parametrize("quote", ["a", "Th", "e "])
def test_one_or_two_character_quote_is_ungrounded_not_matched_at_random(quote):
    result = align_quote(quote, ARTICLE)
    assert result.alignment == "ungrounded"
    assert result.start is None


def test_one_or_two_character_quote_that_only_normalises_is_ungrounded():
    # Not in the text as written ('TH' is nowhere), only after lower-casing.
    result = align_quote("TH", ARTICLE)
    assert result.alignment == "ungrounded"


# --- non-ASCII --------------------------------------------------------------------

ARABIC = "قال هادي العامري، الأمين العام لمنظمة بدر، إن وقف إطلاق النار بدأ ليلة الخميس."
TRANSLITERATED = (
    "Hadi al-\u02bf\u0100mir\u012b, secretary general of the Badr organisation, said a ceasefire "
    "began Thursday night in Tuz Khurmatu. Sh\u00eekh Mahm\u00fbd of the Kurdish \u00c7\u00eea "
    "region said \u201cthe truce is fragile\u201d."
)


@pytest.mark.parametrize("quote", ["هادي العامري", "وقف إطلاق النار بدأ ليلة الخميس"])
def test_arabic_quote_is_exact_with_character_offsets(quote):
    result = align_quote(quote, ARABIC)

    assert result.alignment == "exact"
    assert result.start == ARABIC.index(quote)
    assert_sliced(result, ARABIC)


def test_arabic_quote_with_collapsed_whitespace_is_normalised():
    text = ARABIC.replace("وقف إطلاق", "وقف\n  إطلاق")
    result = align_quote("وقف إطلاق النار بدأ", text)

    assert result.alignment == "normalised"
    assert result.quote == "وقف\n  إطلاق النار بدأ"
    assert_sliced(result, text)


@pytest.mark.parametrize(
    ("quote", "alignment", "article_words"),
    [
        ("Hadi al-\u02bf\u0100mir\u012b", "exact", "Hadi al-\u02bf\u0100mir\u012b"),
        ("hadi al-\u02bf\u0101mir\u012b", "normalised", "Hadi al-\u02bf\u0100mir\u012b"),
        ("Sh\u00eekh Mahm\u00fbd of the Kurdish", "exact", "Sh\u00eekh Mahm\u00fbd of the Kurdish"),
        ('region said "the truce is fragile"', "normalised", "region said \u201cthe truce is fragile\u201d"),
        ("began thursday night in tuz khurmatu", "normalised", "began Thursday night in Tuz Khurmatu"),
    ],
)
def test_transliterated_names_with_diacritics_align(quote, alignment, article_words):
    result = align_quote(quote, TRANSLITERATED)

    assert result.alignment == alignment
    assert result.quote == article_words
    assert_sliced(result, TRANSLITERATED)


def test_offsets_are_character_offsets_after_multibyte_characters():
    # Arabic, accented Latin, a CJK character and an emoji (outside the BMP) come first.
    text = "هادي العامري — Āmirī « cessez-le-feu » 停火 😀\nThe truce held, officials said."
    result = align_quote("The truce held", text)

    assert result.alignment == "exact"
    assert result.start == text.index("The truce held")
    assert result.start != text.encode("utf-8").index(b"The truce held")  # not byte offsets
    assert_sliced(result, text)


def test_normalised_offsets_are_correct_after_multibyte_characters():
    text = "هادي العامري — Āmirī « cessez-le-feu » 停火 😀\nThe  \u201ctruce\u201d held, officials said."
    result = align_quote('the "truce" held', text)

    assert result.alignment == "normalised"
    assert result.quote == "The  \u201ctruce\u201d held"
    assert_sliced(result, text)


def test_normalised_offsets_are_correct_when_lowercasing_changes_length():
    # 'İ'.lower() is two code points; offsets after it must still index the original text.
    text = "\u0130stanbul talks: the \u201ctruce\u201d was agreed in \u0130zmir, officials said."
    result = align_quote('THE "TRUCE" WAS AGREED', text)

    assert result.alignment == "normalised"
    assert result.quote == "the \u201ctruce\u201d was agreed"
    assert_sliced(result, text)


def test_decomposed_unicode_quote_is_grounded():
    quote = unicodedata.normalize("NFD", "Hadi al-\u02bf\u0100mir\u012b, secretary general")
    result = align_quote(quote, TRANSLITERATED)

    assert result.alignment != "ungrounded"
    assert result.quote == "Hadi al-\u02bf\u0100mir\u012b, secretary general"


# --- the seeds --------------------------------------------------------------------


def _reference_quotes() -> list[tuple[str, str]]:
    quotes = []
    for path in sorted(GOLD.glob("[0-9][0-9][0-9]_*.json")):
        data = json.loads(path.read_text("utf-8"))
        for claim in data["claims"]:
            for evidence in claim["evidence"]:
                quotes.append((data["article"], evidence["quote"]))
    return quotes


# Hand-picked quotes from every seed, including 002 (which has no reference claim).
HAND_PICKED = {
    "000": [
        "Local tribal and village chiefs have reportedly relayed ceasefire requests from ISIS.",
        "\u201cISIS has requested the Peshmerga to halt their attacks and reach a kind of ceasefire with them,\u201d",
        "some Arab tribes\u2014for their own interests\u2014try to bring about cease fires",
    ],
    "001": [
        "have reached a one-month truce with the Islamic State in villages along the Iraqi border in Hasaka province",
        "The four-point truce stated that all ground and aerial offensive to be ceased.",
        "On November 8, the SDF took Markada town",
    ],
    "002": [
        "reports the New York Times (NYT), adding:",
        "ordered the jihadists to surrender to the Peshmerga",
    ],
    "003": [
        "He later clarified on Twitter that there is no \u201cofficial \u2018ceasefire\u2019\u201d",
        "said a ceasefire began Thursday night",
    ],
    "004": [
        "PTI | Baghdad | Updated: 12-10-2020 03:38 IST",
        "an agreement was reached for a cease-fire for at least two months",
        "Roadside bombs and in particular rocket attacks targeting the US Embassy in Baghdad \u2014 located",
    ],
}


@pytest.mark.parametrize(("article", "quote"), _reference_quotes(), ids=lambda v: v[:30])
def test_reference_quotes_are_exact_in_their_seed(article, quote, seeds_dir):
    text = (seeds_dir / article).read_text("utf-8")
    result = align_quote(quote, text)

    assert result.alignment == "exact"
    assert result.quote == quote
    assert_sliced(result, text)


def test_every_seed_has_reference_quotes_or_hand_picked_ones(seeds_dir):
    articles_with_quotes = {article[:3] for article, _ in _reference_quotes()} | set(HAND_PICKED)
    assert {p.name[:3] for p in seeds_dir.glob("*.txt")} <= articles_with_quotes
    assert len(_reference_quotes()) >= 20


@pytest.mark.parametrize(("seed", "quote"), [(seed, quote) for seed, quotes in HAND_PICKED.items() for quote in quotes])
def test_hand_picked_seed_quotes_slice_back(seed, quote, seed_text):
    text = seed_text(seed)
    result = align_quote(quote, text)

    assert result.alignment == "exact"
    assert result.start == text.index(quote)
    assert_sliced(result, text)
    assert result.quote == quote


_ASCII = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": "-", "\u2013": "-"})


def _straightened_inner_quotes() -> list[tuple[str, str]]:
    """Reference quotes whose typography the model might flatten, trimmed so they neither
    start nor end with a quotation mark."""
    cases = []
    for article, quote in _reference_quotes():
        inner = quote.strip("\u201c\u201d\u2018\u2019\"' ,.")
        if inner.translate(_ASCII) != inner:
            cases.append((article, inner))
    return cases


@pytest.mark.parametrize(("article", "quote"), _straightened_inner_quotes(), ids=lambda v: v[:30])
def test_straightened_seed_quotes_are_normalised_back_to_the_seed_text(article, quote, seeds_dir):
    text = (seeds_dir / article).read_text("utf-8")
    result = align_quote(quote.translate(_ASCII), text)

    assert result.alignment == "normalised"
    assert result.quote == quote
    assert_sliced(result, text)


def test_straightened_quote_keeps_the_articles_own_quotation_marks(seed_text):
    text = seed_text("000")
    original = (
        "The Peshmerga\u2019s Kirkuk commander, Mohammed Haj Mahmood, told the Saudi-owned daily that "
        "\u201ceverything that is happening in that respect is local.\u201d"
    )
    assert original in text
    result = align_quote(original.translate(_ASCII), text)

    assert result.alignment == "normalised"
    assert result.quote == original


# --- names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Hadi al-\u02bf\u0100mir\u012b", "hadi al-\u02bf\u0101mir\u012b", "Badr Organisation", "Tuz  Khurmatu"],
)
def test_name_written_in_the_article_is_found(name):
    assert name_in_text(name, NormalisedText.of(TRANSLITERATED)) is True


@pytest.mark.parametrize("name", ["Rudaw", "Nafiseh Kohnavard", "Mohammed Mohie", "BBC"])
def test_name_absent_from_the_article_is_not_found(name):
    assert name_in_text(name, NormalisedText.of(TRANSLITERATED)) is False


def test_arabic_name_is_found_and_an_absent_one_is_not():
    normalised = NormalisedText.of(ARABIC)
    assert name_in_text("هادي العامري", normalised) is True
    assert name_in_text("مقتدى الصدر", normalised) is False


def test_name_with_every_word_present_in_another_order_is_found(seed_text):
    normalised = NormalisedText.of(seed_text("003"))
    assert name_in_text("Dillon, Colonel Ryan", normalised) is True


def test_transliteration_variant_is_found(seed_text):
    # The seed writes "Hadi al-Amiri"; a model may spell it "al-Ameri".
    normalised = NormalisedText.of(seed_text("003"))
    assert name_in_text("Hadi al-Ameri", normalised) is True
    assert name_in_text("Nafiseh Kohnavard", normalised) is True
    assert name_in_text("Mohammed Mohie", normalised) is False


def test_name_without_diacritics_is_found_in_an_article_with_them():
    assert name_in_text("Hadi al-Amiri", NormalisedText.of(TRANSLITERATED)) is True


def test_fuzzy_span_needs_most_of_the_quotes_words(seed_text):
    """Character-level similarity is not enough: a quote whose words are mostly not the
    article's (misspelt, conjugated differently) must not be accepted as a fuzzy span."""
    text = seed_text("000")
    garbled = "ISIS has requested the Peshmergas to halted there attack and reached kinds of ceasefires"
    result = align_quote(garbled, text)
    assert result.alignment == "ungrounded"
    assert result.start is None
