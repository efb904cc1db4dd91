"""Coverage audit: sentences that speak of a truce and that no stored claim's evidence covers.

A recall aid, not a classifier. The article's text is split into sentences (offsets
kept); a sentence is kept when it holds truce language (`TRUCE_LANGUAGE`) and no
evidence span of any stored claim of that article overlaps it. What is left is what the
model may have missed, or what is not a claim at all (a sports "truce", a reader
comment): the analyst decides.

Sentences: a line break always ends one (headlines, datelines, menu items); inside a
line, a sentence ends at ".", "!", "?" or "…" (closing quotes and brackets included)
followed by a space and a word that does not start in lower case, unless the word before
the stop is a known abbreviation ("Gen.", "Nov.", "U.S.") or an initial ("John F.").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass

from sqlite_utils import Database

from extractor.errors import NotFoundError

# Truce language: the words a sentence about a truce, ceasefire, halt, pause or
# cessation of hostilities uses. English only; README "Report and audit" lists them.
TRUCE_LANGUAGE = re.compile(
    r"""\b(?:
        truces?
      | cease[\s\-\u2010\u2011]?fires?                       # ceasefire, cease-fire, cease fire
      | armistices?
      | cessations?\s+of\s+(?:hostilities|fighting|attacks|operations|violence)
      | halt(?:s|ed|ing)?
      | paus(?:e|es|ed|ing)
      | (?:stop|end)(?:s|ped|ed|ping|ing)?\s+(?:to\s+)?(?:the\s+|their\s+|its\s+|all\s+)?
        (?:fighting|hostilities|attacks|shooting|fire|advance|offensive|operations|assault|shelling|bombing|airstrikes)
      | hold(?:s|ing)?\s+(?:their\s+|its\s+)?fire
      | silenc(?:e|es|ed|ing)\s+(?:the\s+|their\s+|its\s+)?guns
      | de-?escalat(?:e|es|ed|ing|ion)
      | (?:ease|eased|easing|lower|lowered|lowering|reduce|reduced|reducing|defuse|defused|defusing)\s+tensions?
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)

# Words a full stop follows without ending the sentence: "Gen. Haftar", "Nov. 2", "U.S. forces".
ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "cpl", "cmdr", "adm", "brig", "gov",
    "sen", "rep", "pres", "amb", "st", "mt", "ft", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp", "dept",
    "approx", "al", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s",
    "u.n", "u.k", "u.s.a", "e.g", "i.e", "a.m", "p.m",
))  # fmt: skip
_STOP = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s+(\S))")
_LAST_WORD = re.compile(r"(\S+)$")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class UncoveredSentence:
    """A sentence that speaks of a truce and that no claim's evidence covers."""

    article_id: str
    start: int
    end: int
    text: str
    truce_words: tuple[str, ...]

    def row(self) -> dict:
        return {**asdict(self), "truce_words": list(self.truce_words)}


def _ends_sentence(line: str, stop: re.Match) -> bool:
    following = stop.group(1)
    if following[0].islower():
        return False
    before = _LAST_WORD.search(line, 0, stop.start())
    word = before.group(1).lstrip("\"'(\u201c\u2018[").lower() if before else ""
    is_initial = len(word) == 1 and word.isalpha() and stop.group(0) == "."
    return not (stop.group(0).startswith(".") and (word in ABBREVIATIONS or is_initial))


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text`, stripped of surrounding spaces; `text[start:end] == sentence.text`."""
    sentences = []
    for line in re.finditer(r"[^\n]+", text):
        pieces, begin = [], 0
        for stop in _STOP.finditer(line.group()):
            if _ends_sentence(line.group(), stop):
                pieces.append((begin, stop.end()))
                begin = stop.end()
        pieces.append((begin, len(line.group())))
        for lo, hi in pieces:
            raw = line.group()[lo:hi]
            stripped = raw.strip()
            if stripped:
                start = line.start() + lo + (len(raw) - len(raw.lstrip()))
                sentences.append(Sentence(start, start + len(stripped), stripped))
    return sentences


def truce_words(sentence: str) -> tuple[str, ...]:
    """The truce language in a sentence, as written, each once."""
    return tuple(dict.fromkeys(m.group(0) for m in TRUCE_LANGUAGE.finditer(sentence)))


def uncovered_sentences(text: str, spans: Iterable[tuple[int, int]]) -> Iterator[tuple[Sentence, tuple[str, ...]]]:
    """Sentences of `text` with truce language that no span (start, end) overlaps."""
    spans = [(start, end) for start, end in spans if end > start]
    for sentence in split_sentences(text):
        words = truce_words(sentence.text)
        if words and not any(start < sentence.end and sentence.start < end for start, end in spans):
            yield sentence, words


def select_articles(db: Database, prefixes: Sequence[str] = ()) -> list[dict]:
    """The stored articles (id, title, publisher, published, source, text), all of them or
    those whose id starts with one of `prefixes`; NotFoundError names a prefix none has."""
    rows = list(db.query("SELECT id, title, publisher, published, url, source, text FROM articles ORDER BY source, id"))
    if not prefixes:
        return rows
    for prefix in prefixes:
        if not any(row["id"].startswith(prefix) for row in rows):
            raise NotFoundError(f"There is no article {prefix!r}; `truce articles` lists them.")
    return [row for row in rows if any(row["id"].startswith(prefix) for prefix in prefixes)]


def evidence_spans(db: Database, article_id: str) -> list[tuple[int, int]]:
    """Where the evidence of the article's stored claims lies (aligned quotes only)."""
    return [
        (start, end)
        for start, end in db.execute(
            'SELECT e.start, e."end" FROM evidence e JOIN claims c ON c.id = e.claim_id '
            "WHERE c.article_id = ? AND e.start IS NOT NULL",
            [article_id],
        )
    ]


def audit_article(article_id: str, text: str, spans: Iterable[tuple[int, int]]) -> list[UncoveredSentence]:
    return [
        UncoveredSentence(article_id, sentence.start, sentence.end, sentence.text, words)
        for sentence, words in uncovered_sentences(text, spans)
    ]


def audit(db: Database, articles: Sequence[str] = ()) -> list[UncoveredSentence]:
    """Per article (all, or those whose id starts with one of `articles`), in text order,
    the sentences about a truce that no stored claim's evidence covers."""
    found = []
    for article in select_articles(db, articles):
        found += audit_article(article["id"], article["text"], evidence_spans(db, article["id"]))
    return found
