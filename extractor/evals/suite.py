"""An eval suite on disk: articles, hand-written gold, thresholds and recordings.

    evals/suites/<name>/
        articles/            the articles, read exactly as `truce extract` reads them
        gold/<stem>.json     the gold of one article (see evals/README.md)
        thresholds.toml      optional: minimum scores per recording
        recordings/<name>.yaml + <name>.json   vcrpy cassettes and how they were made

`load_suite` raises `SuiteError` when the suite cannot be used at all; `check_suite`
lists every problem in it (quotes not in their article, unknown labels, bad dates).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor.crosscheck.conflicts import CONFLICT_TYPES
from extractor.errors import TruceError
from extractor.extraction.schema import (
    MAX_QUOTE_CHARS,
    Attribution,
    ClaimKind,
    Duration,
    Factuality,
    PartyRole,
    Scope,
)
from extractor.read import Article, ReadFailure, read_articles

GOLD_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?|-W\d{2})?")
ENTITY_KEY = re.compile(r"[a-z0-9-]+:[a-z0-9-]+")


class SuiteError(TruceError):
    """An eval suite that cannot be loaded, or a recording that cannot be replayed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldParty(_Strict):
    name: str
    standard_name: str | None = None
    role: PartyRole
    entity: str = Field(pattern=ENTITY_KEY.pattern)


class GoldEvidence(_Strict):
    quote: str = Field(min_length=1, max_length=MAX_QUOTE_CHARS)


class GoldClaim(_Strict):
    """A claim as the model should return it, plus what only gold knows: an id, the
    entity behind each party, the calendar date, and other spans that support it."""

    id: str = Field(pattern=r"[A-Za-z0-9_-]+")
    kind: ClaimKind
    summary: str
    parties: list[GoldParty] = Field(default_factory=list)
    place: str | None = None
    scope: Scope = "unknown"
    when: str | None = None
    event_date: str | None = Field(default=None, pattern=GOLD_DATE.pattern)
    truce_began: str | None = None
    duration: Duration | None = None
    conditions: list[str] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=list)
    factuality: Factuality
    attribution: Attribution = Field(default_factory=Attribution)
    evidence: list[GoldEvidence] = Field(min_length=1, max_length=3)
    alternatives: list[str] = Field(default_factory=list)

    def model_answer(self) -> dict:
        """The claim in the shape of `schema.TruceClaim`: what the reference server
        serves and what the cross-check-only mode feeds to grounding."""
        answer = self.model_dump(exclude={"id", "event_date", "alternatives"}, mode="json")
        for party in answer["parties"]:
            party.pop("entity")
        return answer


class NoClaimSpan(_Strict):
    quote: str = Field(min_length=1)
    why: str


class GoldConflict(_Strict):
    a: str
    b: str
    type: str
    why: str | None = None


class GoldPair(_Strict):
    a: str
    b: str
    why: str


class ArticleGold(_Strict):
    article: str
    note: str
    claims: list[GoldClaim] = Field(default_factory=list)
    no_claim_spans: list[NoClaimSpan] = Field(default_factory=list)
    conflicts: list[GoldConflict] = Field(default_factory=list)
    hard_negatives: list[GoldPair] = Field(default_factory=list)


@dataclass
class Recording:
    """A cassette and the model settings it was recorded with (replay needs them)."""

    name: str
    cassette: Path
    settings: dict  # model, mode, max_tokens, validation_retries ... as recorded
    label: str
    articles: list[str] | None = None  # the article stems it covers, when not all of them

    @property
    def model(self) -> str:
        return str(self.settings.get("model", "unknown"))


@dataclass
class SuiteArticle:
    stem: str
    article: Article
    gold: ArticleGold

    def claim_key(self, claim_id: str) -> str:
        return f"{self.stem}#{claim_id}"


@dataclass
class Suite:
    path: Path
    name: str
    articles: list[SuiteArticle]
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    recordings: dict[str, Recording] = field(default_factory=dict)

    def gold_claims(self) -> dict[str, tuple[SuiteArticle, GoldClaim]]:
        """Every gold claim by its suite-wide key `<stem>#<id>`."""
        return {item.claim_key(c.id): (item, c) for item in self.articles for c in item.gold.claims}

    def conflicts(self) -> list[GoldConflict]:
        return [c for item in self.articles for c in item.gold.conflicts]

    def hard_negatives(self) -> list[GoldPair]:
        return [p for item in self.articles for p in item.gold.hard_negatives]

    def subset(self, stems: list[str]) -> Suite:
        """The suite restricted to some articles (a recording that covers only those);
        pairs that name a claim of another article are left out."""
        unknown = sorted(set(stems) - {a.stem for a in self.articles})
        if unknown:
            raise SuiteError(f"The suite {self.name} has no article {unknown[0]}.")
        kept = [a for a in self.articles if a.stem in stems]
        inside = {a.claim_key(c.id) for a in kept for c in a.gold.claims}

        def within(pairs: list) -> list:
            return [p for p in pairs if p.a in inside and p.b in inside]

        articles = [
            SuiteArticle(
                a.stem,
                a.article,
                a.gold.model_copy(
                    update={"conflicts": within(a.gold.conflicts), "hard_negatives": within(a.gold.hard_negatives)}
                ),
            )
            for a in kept
        ]
        return Suite(self.path, self.name, articles, self.thresholds, self.recordings)

    def recording(self, name: str) -> Recording:
        if name not in self.recordings:
            known = ", ".join(sorted(self.recordings)) or "none"
            raise SuiteError(f"The suite {self.name} has no recording {name!r}; its recordings: {known}.")
        return self.recordings[name]


def _read_gold(path: Path) -> ArticleGold:
    try:
        return ArticleGold.model_validate_json(path.read_text("utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SuiteError(f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s) in all).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"Cannot read {path}: {exc}.") from None


def _read_recordings(folder: Path) -> dict[str, Recording]:
    recordings = {}
    for cassette in sorted(folder.glob("*.yaml")):
        meta_path = cassette.with_suffix(".json")
        if not meta_path.exists():
            raise SuiteError(f"{cassette} has no {meta_path.name} saying which model and settings recorded it.")
        meta = json.loads(meta_path.read_text("utf-8"))
        recordings[cassette.stem] = Recording(
            cassette.stem, cassette, meta.get("settings", {}), meta.get("label", ""), meta.get("articles")
        )
    return recordings


def load_suite(path: Path) -> Suite:
    """Read a suite folder; one clear sentence when it cannot be used."""
    path = Path(path)
    if not path.is_dir():
        raise SuiteError(f"{path} is not a folder; an eval suite is a folder such as evals/suites/dev.")
    gold_dir, articles_dir = path / "gold", path / "articles"
    if not gold_dir.is_dir() or not any(gold_dir.glob("*.json")):
        raise SuiteError(f"{path} has no gold files (gold/<article>.json); see evals/README.md for the suite format.")
    if not articles_dir.is_dir():
        raise SuiteError(f"{path} has no articles/ folder.")
    articles: dict[str, Article] = {}
    for item in read_articles([articles_dir]):
        if isinstance(item, ReadFailure):
            raise SuiteError(f"Article of suite {path.name} cannot be read: {item.reason}")
        articles[Path(item.source).name] = item
    entries = []
    for gold_path in sorted(gold_dir.glob("*.json")):
        gold = _read_gold(gold_path)
        if gold.article not in articles:
            raise SuiteError(f"{gold_path} is the gold of {gold.article}, which is not in {articles_dir}.")
        entries.append(SuiteArticle(Path(gold.article).stem, articles[gold.article], gold))
    missing = sorted(set(articles) - {e.gold.article for e in entries})
    if missing:
        raise SuiteError(f"{path}: these articles have no gold file: {', '.join(missing)}.")
    thresholds: dict = {}
    if (path / "thresholds.toml").exists():
        try:
            thresholds = tomllib.loads((path / "thresholds.toml").read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SuiteError(f"{path / 'thresholds.toml'} is not valid TOML ({exc}).") from None
    return Suite(path, path.name, entries, thresholds, _read_recordings(path / "recordings"))


# --- validation -----------------------------------------------------------------------


def check_suite(suite: Suite) -> list[str]:
    """Every problem found in the suite's gold, one sentence each (empty: all good)."""
    problems: list[str] = []
    keys = suite.gold_claims()
    for item in suite.articles:
        text, where = item.article.text, f"gold/{item.stem}.json"
        ids = [c.id for c in item.gold.claims]
        problems += [f"{where}: claim id {i} is used twice." for i in sorted({i for i in ids if ids.count(i) > 1})]
        for claim in item.gold.claims:
            quotes = [("evidence", e.quote) for e in claim.evidence] + [("alternative", a) for a in claim.alternatives]
            for label, quote in quotes:
                if quote not in text:
                    problems.append(f"{where} {claim.id}: the {label} quote {quote[:70]!r} is not in the article.")
            if claim.truce_began and claim.truce_began not in text:
                problems.append(f"{where} {claim.id}: truce_began {claim.truce_began[:70]!r} is not in the article.")
            problems += _check_date(where, claim)
        for span in item.gold.no_claim_spans:
            if span.quote not in text:
                problems.append(f"{where}: the no-claim span {span.quote[:70]!r} is not in the article.")
        for conflict in item.gold.conflicts:
            if conflict.type not in CONFLICT_TYPES:
                problems.append(f"{where}: conflict type {conflict.type!r} is not one of {', '.join(CONFLICT_TYPES)}.")
        for pair in [*item.gold.conflicts, *item.gold.hard_negatives]:
            for key in (pair.a, pair.b):
                if key not in keys:
                    problems.append(f"{where}: the pair {pair.a} / {pair.b} names {key}, which is not a gold claim.")
            if pair.a == pair.b:
                problems.append(f"{where}: the pair {pair.a} / {pair.b} names one claim twice.")
    conflict_pairs = {frozenset((c.a, c.b)) for c in suite.conflicts()}
    for pair in suite.hard_negatives():
        if frozenset((pair.a, pair.b)) in conflict_pairs:
            problems.append(f"The pair {pair.a} / {pair.b} is both a conflict and a hard negative.")
    for recording, metrics in suite.thresholds.items():
        if not isinstance(metrics, dict):
            problems.append(f"thresholds.toml: [{recording}] must be a table of metric = minimum.")
            continue
        unknown = sorted(set(metrics) - set(THRESHOLD_METRICS))
        if unknown:
            problems.append(f"thresholds.toml [{recording}]: unknown metric(s) {', '.join(unknown)}.")
    return problems


THRESHOLD_METRICS = (
    "claims_precision",
    "claims_recall",
    "claims_f1",
    "conflicts_precision",
    "conflicts_recall",
    "entities_resolved",
    "grounded_share",
    "max_hard_negatives_flagged",
    "max_no_claim_spans_hit",
)


def _check_date(where: str, claim: GoldClaim) -> list[str]:
    value = claim.event_date
    if value is None:
        return []
    try:
        if "-W" in value:
            date.fromisocalendar(int(value[:4]), int(value[6:8]), 1)
        elif len(value) == 10:
            date.fromisoformat(value)
        elif len(value) == 7 and not 1 <= int(value[5:7]) <= 12:
            raise ValueError
    except ValueError:
        return [f"{where} {claim.id}: event_date {value!r} is not a real date."]
    return []
