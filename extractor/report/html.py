"""`truce report`: one self-contained HTML page of the evidence behind every claim.

Per article: its text with every aligned evidence quote marked (`<mark>` elements that
carry the claim id, one colour per claim kind), the sentences about a truce that no claim
covers (the coverage audit), and the claims beside it. An article no extraction of which
succeeded (stored by `truce batch prepare` and not ingested yet, or failed) is labelled
so, and left out of the audit: no model answered for it, so none missed anything. Then
the conflicts, both claims side by side, each linking to its evidence. No scripts, no
network assets: the styles are in the page, and the page works opened from disk.

Overlapping quotes still give properly nested HTML: the text is cut at every quote's
start and end, and each piece opens and closes the marks of all quotes covering it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2
from sqlite_utils import Database

from extractor.crosscheck.run import query_conflicts
from extractor.errors import TruceError
from extractor.extraction.schema import CLAIM_KINDS
from extractor.report.audit import UncoveredSentence, audit_article, select_articles
from extractor.show import attribution_chain, party_label
from extractor.storage import store

TEMPLATES = Path(__file__).resolve().parent / "templates"
KIND_COLOURS = {
    "request": "#fde68a",
    "offer": "#bef264",
    "agreement": "#93c5fd",
    "declaration": "#a5b4fc",
    "in_effect": "#6ee7b7",
    "extension": "#67e8f9",
    "violation": "#fca5a5",
    "end": "#fdba74",
    "rejection": "#f9a8d4",
    "denial": "#d8b4fe",
    "talks": "#d6d3d1",
}
OTHER_KIND_COLOUR = "#e5e7eb"
assert set(KIND_COLOURS) == set(CLAIM_KINDS), "every claim kind needs its colour"


def anchor(*parts: object) -> str:
    """An HTML id from claim ids, positions, offsets: letters, digits, '-' and '_' only."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", "-".join(str(p) for p in parts))


def evidence_anchor(claim_id: str, position: int) -> str:
    return anchor("ev", claim_id, position)


def claim_anchor(claim_id: str) -> str:
    return anchor("claim", claim_id)


def uncovered_anchor(sentence: UncoveredSentence) -> str:
    return anchor("uncovered", sentence.article_id, sentence.start)


def kind_class(kind: str) -> str:
    return anchor("kind", kind if kind in KIND_COLOURS else "other")


@dataclass(frozen=True)
class Mark:
    """One evidence quote's mark around a piece of text; `id` on its first piece only."""

    claim_id: str
    kind: str
    label: str
    id: str | None


@dataclass(frozen=True)
class Piece:
    text: str
    marks: tuple[Mark, ...] = ()
    uncovered: UncoveredSentence | None = None
    uncovered_id: str | None = None


@dataclass(frozen=True)
class Quote:
    """An aligned evidence quote of a claim, where it lies in the article text."""

    claim_id: str
    kind: str
    position: int
    start: int
    end: int


def mark_text(text: str, quotes: Sequence[Quote], uncovered: Sequence[UncoveredSentence] = ()) -> list[Piece]:
    """The text cut at every boundary of a quote or an uncovered sentence; each piece
    lists the quotes covering it, the longest first (outermost)."""
    quotes = sorted((q for q in quotes if q.end > q.start), key=lambda q: (q.start, -q.end, q.claim_id, q.position))
    cuts = {0, len(text)}
    for item in [*quotes, *uncovered]:
        cuts.update((item.start, item.end))
    cuts = sorted(c for c in cuts if 0 <= c <= len(text))
    pieces = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        marks = tuple(
            Mark(
                q.claim_id,
                q.kind,
                f"claim {q.claim_id} ({q.kind}), quote {q.position + 1}",
                evidence_anchor(q.claim_id, q.position) if q.start == lo else None,
            )
            for q in quotes
            if q.start <= lo and hi <= q.end
        )
        sentence = next((s for s in uncovered if s.start <= lo and hi <= s.end), None)
        first = sentence is not None and sentence.start == lo
        pieces.append(Piece(text[lo:hi], marks, sentence, uncovered_anchor(sentence) if first else None))
    return pieces


@dataclass
class ReportSummary:
    articles: int = 0
    claims: int = 0
    not_grounded: int = 0
    quotes_marked: int = 0
    conflicts: int = 0
    uncovered: int = 0
    not_audited: int = 0  # articles not extracted yet, or whose extraction failed


@dataclass
class ArticleView:
    article: dict
    claims: list[dict]
    pieces: list[Piece]
    uncovered: list[UncoveredSentence]
    conflicts: dict[str, list[dict]] = field(default_factory=dict)  # by claim id

    @property
    def extraction(self) -> str | None:
        """None when a successful extraction is current, else "not extracted yet" or
        "extraction failed: <error>"."""
        return self.article["extraction"]


def _quotes(claims: list[dict]) -> list[Quote]:
    return [
        Quote(claim["id"], claim["kind"], position, evidence["start"], evidence["end"])
        for claim in claims
        for position, evidence in enumerate(claim["evidence"])
        if evidence["start"] is not None
    ]


def _conflict_side(db: Database, claim_id: str, on_page: dict[str, dict], titles: dict[str, str]) -> dict:
    claim = on_page.get(claim_id) or store.get_claim(db, claim_id)
    article_id = claim["article_id"]
    return {
        "claim": claim,
        "on_page": claim_id in on_page,
        "article_title": titles.get(article_id) or store.get_article(db, article_id)["title"] or article_id,
    }


def collect(db: Database, articles: Sequence[str] = ()) -> tuple[list[ArticleView], list[dict]]:
    """What the page shows: the chosen articles (all by default) and the conflicts that
    involve their claims."""
    chosen = select_articles(db, articles)
    by_article: dict[str, list[dict]] = defaultdict(list)
    if articles:  # a few articles: a query each
        claims = [c for a in chosen for c in store.query_claims(db, store.ClaimFilters(article=a["id"]))]
    else:  # the whole database: one pass
        claims = store.query_claims(db, store.ClaimFilters())
    for claim in claims:
        by_article[claim["article_id"]].append(claim)
    views = []
    for article in chosen:
        claims = by_article[article["id"]]
        quotes = _quotes(claims)
        uncovered = []
        if article["extraction"] is None:
            uncovered = audit_article(article["id"], article["text"], [(q.start, q.end) for q in quotes])
        views.append(ArticleView(article, claims, mark_text(article["text"], quotes, uncovered), uncovered))
    on_page = {claim["id"]: claim for view in views for claim in view.claims}
    titles = {view.article["id"]: view.article["title"] or view.article["source"] for view in views}
    conflicts = []
    by_claim: dict[str, list[dict]] = defaultdict(list)
    for row in query_conflicts(db):
        if row["claim_a"] not in on_page and row["claim_b"] not in on_page:
            continue
        row["sides"] = [_conflict_side(db, row[key], on_page, titles) for key in ("claim_a", "claim_b")]
        conflicts.append(row)
        for key, other in (("claim_a", "claim_b"), ("claim_b", "claim_a")):
            by_claim[row[key]].append({"id": row["id"], "type": row["type"], "other": row[other]})
    for view in views:
        view.conflicts = {claim["id"]: by_claim.get(claim["id"], []) for claim in view.claims}
    return views, conflicts


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # article text and model text are never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        evidence_anchor=evidence_anchor,
        claim_anchor=claim_anchor,
        uncovered_anchor=uncovered_anchor,
        kind_class=kind_class,
        anchor=anchor,
        chain=attribution_chain,
        party=party_label,
    )
    return env


def render_report(db: Database, articles: Sequence[str] = (), title: str | None = None) -> tuple[str, ReportSummary]:
    """The page as a string, and what it holds."""
    views, conflicts = collect(db, articles)
    if not views:
        raise TruceError("The database holds no articles; run `truce extract` or `truce demo` first.")
    claims = [claim for view in views for claim in view.claims]
    summary = ReportSummary(
        articles=len(views),
        claims=len(claims),
        not_grounded=sum(claim["grounding"] != "grounded" for claim in claims),
        quotes_marked=sum(1 for view in views for piece in view.pieces for mark in piece.marks if mark.id),
        conflicts=len(conflicts),
        uncovered=sum(len(view.uncovered) for view in views),
        not_audited=sum(view.extraction is not None for view in views),
    )
    present = {claim["kind"] for claim in claims}
    kinds = [kind for kind in KIND_COLOURS if kind in present] + sorted(present - set(KIND_COLOURS))
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=title or "truce: evidence report",
            views=views,
            conflicts=conflicts,
            summary=summary,
            kind_colours=KIND_COLOURS,
            other_kind_colour=OTHER_KIND_COLOUR,
            kinds=kinds,
        )
    )
    return page, summary


def write_report(db: Database, out: Path, articles: Sequence[str] = ()) -> ReportSummary:
    page, summary = render_report(db, articles)
    try:
        Path(out).write_text(page, "utf-8")
    except OSError as exc:
        raise TruceError(f"Cannot write the report to {out}: {exc.strerror or exc}.") from None
    return summary
