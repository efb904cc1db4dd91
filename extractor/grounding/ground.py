"""Grounding: every evidence quote is located in the article by character offsets.

Alignment goes exact, then normalised (quotes, dashes, whitespace, case), then fuzzy.
A fuzzy span is accepted only when it covers at least 75% of the quote's words and
scores at least 80 (LangExtract's rule of thumb is 75% coverage at a density of one
third; ours is stricter). A quote that passes none is `ungrounded`, with no offsets.
The stored quote of an aligned evidence is always `text[start:end]`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from extractor.extraction.schema import GroundedEvidence

_QUOTE_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
MIN_FUZZY_SCORE = 80.0
MIN_TOKEN_COVERAGE = 0.75


_CHANGED = re.compile(r"\s{2,}|[^\S ]|-{2,}")  # runs that normalising changes


@dataclass(frozen=True)
class NormalisedText:
    """A normalised copy of a text and, for each of its characters, the index in the
    original text it came from."""

    text: str
    origin: list[int]

    @classmethod
    def of(cls, original: str) -> NormalisedText:
        translated = original.translate(_QUOTE_MAP)
        lowered = translated.lower()
        if len(lowered) != len(translated):  # a letter whose lower case is longer ('İ')
            return cls._char_by_char(original)
        # Runs of whitespace become one space, runs of dashes one dash; every kept
        # character remembers its index in the original. Only what changes is visited: a
        # single space between words is already what it becomes.
        parts: list[str] = []
        origin: list[int] = []
        position = len(lowered) - len(lowered.lstrip())  # leading whitespace is dropped
        for run in _CHANGED.finditer(lowered, position):
            start = run.start()
            if start > position:
                parts.append(lowered[position:start])
                origin.extend(range(position, start))
            parts.append("-" if run.group(0)[0] == "-" else " ")
            origin.append(start)
            position = run.end()
        if position < len(lowered):
            parts.append(lowered[position:])
            origin.extend(range(position, len(lowered)))
        text = "".join(parts)
        if text.endswith(" "):
            text, origin = text[:-1], origin[:-1]
        return cls(text, origin)

    @classmethod
    def _char_by_char(cls, original: str) -> NormalisedText:
        chars: list[str] = []
        origin: list[int] = []
        previous_space = True
        for index, char in enumerate(original.translate(_QUOTE_MAP)):
            if char.isspace():
                if previous_space:
                    continue
                char, previous_space = " ", True
            else:
                previous_space = False
                if char == "-" and chars and chars[-1] == "-":
                    continue  # "--" written for a dash
            for lowered in char.lower():
                chars.append(lowered)
                origin.append(index)
        while chars and chars[-1] == " ":
            chars.pop()
            origin.pop()
        return cls("".join(chars), origin)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the normalised span [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str) -> str:
    return NormalisedText.of(text).text


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _token_coverage(quote: str, span: str) -> float:
    quote_words = _words(quote)
    if not quote_words:
        return 0.0
    span_words = set(_words(span))
    return sum(word in span_words for word in quote_words) / len(quote_words)


def align_quote(quote: str, text: str, normalised_text: NormalisedText | None = None) -> GroundedEvidence:
    """Locate one quote in the article text."""
    stripped = unicodedata.normalize("NFC", quote.strip())
    if len(stripped) < 3:  # too short to point at anything
        return _ungrounded(quote)
    start = text.find(stripped)
    if start >= 0:
        return GroundedEvidence(
            quote=stripped,
            model_quote=quote,
            start=start,
            end=start + len(stripped),
            alignment="exact",
            score=100.0,
        )
    article = normalised_text or NormalisedText.of(text)
    needle = normalise(stripped)
    position = article.text.find(needle)
    if position < 0:  # the model may have added or dropped quotation marks at the ends
        needle = needle.strip(" \"'")
        position = article.text.find(needle) if len(needle) >= 3 else -1
    if position >= 0:
        begin, end = article.span(position, position + len(needle))
        return GroundedEvidence(
            quote=text[begin:end],
            model_quote=quote,
            start=begin,
            end=end,
            alignment="normalised",
            score=100.0,
        )
    match = fuzz.partial_ratio_alignment(needle, article.text, score_cutoff=MIN_FUZZY_SCORE)
    if match is None or match.dest_end <= match.dest_start:
        return _ungrounded(quote)
    begin, end = _snap_to_words(article.text, match.dest_start, match.dest_end)
    candidate = article.text[begin:end]
    if _token_coverage(needle, candidate) < MIN_TOKEN_COVERAGE:
        return _ungrounded(quote)
    begin, end = article.span(begin, end)
    return GroundedEvidence(
        quote=text[begin:end],
        model_quote=quote,
        start=begin,
        end=end,
        alignment="fuzzy",
        score=round(match.score, 1),
    )


def _snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span so it does not cut a word in half."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start] in " ,;:":
        start += 1
    while end > start and text[end - 1] in " ,;:":
        end -= 1
    return start, end


def _ungrounded(quote: str) -> GroundedEvidence:
    return GroundedEvidence(quote=quote, model_quote=quote, start=None, end=None, alignment="ungrounded", score=0.0)


def _plain(text: str) -> str:
    """Without diacritics or ayn/hamza marks: 'al-ʿĀmirī' -> 'al-amiri'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "\u02bf\u02be\u02bc")


def name_in_text(name: str, normalised_text: NormalisedText) -> bool:
    """Whether a speaker or outlet name appears in the article (normalised, or every
    word of it, or a close fuzzy match for transliteration variants)."""
    needle = _plain(normalise(name).strip(" \"'"))
    haystack_text = _plain(normalised_text.text)
    if not needle or needle in haystack_text:
        return True
    words = [w for w in _words(needle) if len(w) > 2 and w not in {"the", "and"}]
    haystack = set(_words(haystack_text))
    if words and all(word in haystack for word in words):
        return True
    return fuzz.partial_ratio(needle, haystack_text) >= 90
