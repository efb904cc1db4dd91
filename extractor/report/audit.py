"""Coverage audit: sentences that speak of a truce and that no stored claim's evidence covers.

A recall aid, not a classifier. Only articles with a current successful extraction
(an `extractions` row with status 'ok') are audited: one stored by `truce batch prepare`
and not yet ingested, or whose extraction failed, has no claims because no model
answered, not because the model missed them. The article's text is split into
sentences (offsets kept); a sentence is kept when it holds truce language and no
evidence span of any stored claim of that article overlaps it. What is left is what the
model may have missed, or what is not a claim at all (a sports "truce", a reader
comment): the analyst decides.

Truce language is the long-article filter's (`extraction.relevance.TRUCE_LANGUAGE`:
every sentence the filter would send to the model) or the audit's own, broader words
(`BROADER_LANGUAGE`: "pause" and "halt" alone, "ease tensions"), so the audit never
misses a sentence the filter thinks worth the tokens.

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
from extractor.extraction.relevance import TRUCE_LANGUAGE as FILTER_LANGUAGE

# The audit's own truce language, broader than the filter's on purpose: the words a
# sentence about a truce, ceasefire, halt, pause or cessation of hostilities uses, even
# where they may name no truce at all. English only; README "Report and audit" lists them.
BROADER_LANGUAGE = re.compile(
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
TRUCE_LANGUAGE = (FILTER_LANGUAGE, BROADER_LANGUAGE)

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
    """The truce language in a sentence (the filter's and the audit's own), as written,
    in text order, each once; words inside a longer match are left out ("pause" inside
    "humanitarian pause")."""
    spans = {
        (m.start(), m.end()) for pattern in TRUCE_LANGUAGE for m in pattern.finditer(sentence) if m.end() > m.start()
    }
    outermost = sorted(
        (start, end)
        for start, end in spans
        if not any(lo <= start and end <= hi and (lo, hi) != (start, end) for lo, hi in spans)
    )
    return tuple(dict.fromkeys(sentence[start:end] for start, end in outermost))


def uncovered_sentences(text: str, spans: Iterable[tuple[int, int]]) -> Iterator[tuple[Sentence, tuple[str, ...]]]:
    """Sentences of `text` with truce language that no span (start, end) overlaps."""
    spans = [(start, end) for start, end in spans if end > start]
    for sentence in split_sentences(text):
        words = truce_words(sentence.text)
        if words and not any(start < sentence.end and sentence.start < end for start, end in spans):
            yield sentence, words


NOT_EXTRACTED = "not extracted yet"


def select_articles(db: Database, prefixes: Sequence[str] = ()) -> list[dict]:
    """The stored articles (id, title, publisher, published, url, source, text, and
    `extraction`: None when a successful extraction is current, else why the article has
    no claims: "not extracted yet" or "extraction failed: <error>"), all of them or those
    whose id starts with one of `prefixes`; NotFoundError names a prefix none has."""
    like = [prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for prefix in prefixes]
    for prefix, pattern in zip(prefixes, like, strict=True):
        if (
            db.execute("SELECT 1 FROM articles WHERE id LIKE ? || '%' ESCAPE '\\' LIMIT 1", [pattern]).fetchone()
            is None
        ):
            raise NotFoundError(f"There is no article {prefix!r}; `truce articles` lists them.")
    where = " OR ".join("a.id LIKE ? || '%' ESCAPE '\\'" for _ in like) or "1"
    rows = db.query(
        f"""
        SELECT a.id, a.title, a.publisher, a.published, a.url, a.source, a.text,
               EXISTS (SELECT 1 FROM extractions e WHERE e.article_id = a.id AND e.status = 'ok') AS extracted,
               (SELECT COALESCE(e.error, '') FROM extractions e WHERE e.article_id = a.id AND e.status = 'failed'
                ORDER BY e.id DESC LIMIT 1) AS failure
        FROM articles a WHERE {where} ORDER BY a.source, a.id
        """,
        like,
    )
    articles = []
    for row in rows:
        extracted, failure = row.pop("extracted"), row.pop("failure")
        if extracted:
            row["extraction"] = None
        elif failure is not None:
            row["extraction"] = f"extraction failed: {failure}" if failure else "extraction failed"
        else:
            row["extraction"] = NOT_EXTRACTED
        articles.append(row)
    return articles


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


@dataclass(frozen=True)
class AuditResult:
    uncovered: list[UncoveredSentence]
    not_audited: list[dict]  # id, source, title, extraction (why it has no claims)


def run_audit(db: Database, articles: Sequence[str] = ()) -> AuditResult:
    """Per extracted article (all, or those whose id starts with one of `articles`), in
    text order, the sentences about a truce that no stored claim's evidence covers; and
    the chosen articles left out because no extraction of theirs succeeded."""
    found, skipped = [], []
    for article in select_articles(db, articles):
        if article["extraction"] is None:
            found += audit_article(article["id"], article["text"], evidence_spans(db, article["id"]))
        else:
            skipped.append({key: article[key] for key in ("id", "source", "title", "extraction")})
    return AuditResult(found, skipped)


def audit(db: Database, articles: Sequence[str] = ()) -> list[UncoveredSentence]:
    """The uncovered sentences of `run_audit`."""
    return run_audit(db, articles).uncovered
