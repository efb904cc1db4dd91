"""The cross-check over a database: block → compare → (adjudicate) → store.

Candidate pairs come from blocking, never from all n² pairs: claims are grouped by
their sides (canonical parties reduced to their widest group: one block per pair of
sides, or per side for one-sided claims), and inside a block only claims whose dates
lie within the time window of each other are compared. A date's window is widened
to its precision (a month, a year); an undated claim falls back to its article's date,
and with neither it is compared with its whole block.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import TYPE_CHECKING

from sqlite_utils import Database

from extractor.crosscheck.conflicts import (
    CONCEDED_HALT,
    TRUCE_WORDS,
    Ambiguous,
    ClaimFacts,
    Duration,
    Finding,
    Timeline,
    compare,
    iso_days,
)
from extractor.entities.canonical import canonical_name, normalise_name
from extractor.entities.gazetteer import country_terms, fold, without_the
from extractor.entities.resolve import resolve_entities
from extractor.storage import store

if TYPE_CHECKING:
    from extractor.extraction.model import ModelClient

DEFAULT_WINDOW_DAYS = 30
_PLACE_WORD = re.compile(r"\b[A-Z][\w'\u2019-]+")
_NOT_PLACES = {"The", "A", "An", "Some", "All", "Iraqi", "Syrian", "Kurdish", "Arab", "US", "U"}


@dataclass
class CrosscheckReport:
    claims: int = 0
    candidates: int = 0
    seconds: float = 0.0
    found: Counter = field(default_factory=Counter)
    ambiguous: int = 0
    adjudicated: int = 0
    adjudication_errors: list[str] = field(default_factory=list)

    @property
    def share_of_n2(self) -> float:
        pairs = self.claims * (self.claims - 1) / 2
        return self.candidates / pairs if pairs else 0.0


@dataclass(frozen=True)
class Candidate:
    a: ClaimFacts
    b: ClaimFacts
    outcome: Finding | Ambiguous


# --- facts from the database ----------------------------------------------------------


def _window(
    event_date: str | None, precision: str, published: str | None, window: int
) -> tuple[int | None, int | None]:
    if event_date:
        year = int(event_date[:4])
        if precision == "year" or len(event_date) == 4:
            return date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        month = int(event_date[5:7])
        if precision == "month" or len(event_date) == 7:
            last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
            return date(year, month, 1).toordinal(), last
        day = date.fromisoformat(event_date[:10]).toordinal()
        return (day - 3, day + 7) if precision == "week" else (day, day)
    if published:
        day = date.fromisoformat(published[:10]).toordinal()
        return day - window, day  # reported events happened before publication
    return None, None


def _places(place: str | None) -> frozenset[str]:
    if not place:
        return frozenset()
    return frozenset(w.lower() for w in _PLACE_WORD.findall(place) if w not in _NOT_PLACES)


def _place_states(place: str | None, state_sides: dict[str, str]) -> frozenset[str]:
    """The sides of the states (among those that are parties somewhere) a place names:
    "southern Lebanon", "the Lebanon-Syria border" -> Lebanon's. Only a country-wide
    (national) denial gets them ("there is no ceasefire in Lebanon"): it denies every
    truce in that country. A truce or a request in a country is not one with its state
    ("ISIS and the Peshmerga in northern Iraq"), nor is a group's organisation-wide denial."""
    if not place:
        return frozenset()
    tokens, terms = re.split(r"[ -]+", without_the(fold(place))), country_terms()
    found, used = set(), set()
    for size in (4, 3, 2, 1):  # the longest name first: "South Sudan" is not Sudan
        for i in range(len(tokens) - size + 1):
            span = set(range(i, i + size))
            country = terms.get(" ".join(tokens[i : i + size]))
            if country is not None and not span & used:
                used |= span
                if country in state_sides:
                    found.add(state_sides[country])
    return frozenset(found)


def load_facts(db: Database, window: int = DEFAULT_WINDOW_DAYS) -> list[ClaimFacts]:
    state_sides = dict(  # the states that are a side somewhere, not only a mediator
        db.execute(
            "SELECT DISTINCT e.name, e.side FROM entities e JOIN parties p ON p.entity_id = e.id "
            "WHERE e.kind = 'state' AND p.role != 'mediator'"
        ).fetchall()
    )
    sides: dict[str, set[str]] = defaultdict(set)
    proposers: dict[str, set[str]] = defaultdict(set)
    for claim_id, side, role in db.execute(
        "SELECT p.claim_id, e.side, p.role FROM parties p JOIN entities e ON e.id = p.entity_id "
        "WHERE p.role != 'mediator' AND e.kind != 'organisation'"
    ):
        sides[claim_id].add(side)
        if role == "proposer":
            proposers[claim_id].add(side)
    speakers: dict[str, tuple] = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT claim_id, name, description, anonymous, channel FROM attributions WHERE role = 'speaker'"
        )
    }
    quotes: dict[str, str] = dict(
        db.execute("SELECT claim_id, group_concat(quote, ' ') FROM evidence GROUP BY claim_id").fetchall()
    )
    facts = []
    rows = db.execute(
        """SELECT c.id, c.article_id, c.kind, c.factuality, c.scope, c.place, c.event_date,
                  c.event_date_precision, c.duration_text, c.duration_iso, c.duration_bound,
                  c.duration_open_ended, c.conditions, a.published, c.event_date_text,
                  c.truce_began_date, c.truce_began_precision
           FROM claims c JOIN articles a ON a.id = c.article_id"""
    )
    for (
        claim_id,
        article_id,
        kind,
        factuality,
        scope,
        place,
        event_date,
        precision,
        d_text,
        d_iso,
        d_bound,
        d_open,
        conditions,
        published,
        when_words,
        began_date,
        began_precision,
    ) in rows:
        name, description, anonymous, channel = speakers.get(claim_id, (None, None, 0, None))
        if name:
            speaker = normalise_name(name)
        elif description:
            speaker = f"{article_id}:{normalise_name(description)}"  # same unnamed source, same article
        else:
            speaker = None
        lo, hi = _window(event_date, precision, published, window)
        # The last day the truce it speaks of may have begun: "signed in November" may be
        # any day of November, so it is known to have begun before a denial only after.
        began = _window(began_date, began_precision, None, window)[1] if began_date else None
        facts.append(
            ClaimFacts(
                id=claim_id,
                article_id=article_id,
                kind=kind,
                negated=kind == "denial" or factuality == "negated",
                scope=scope,
                sides=frozenset(sides.get(claim_id, ())),
                places=_places(place),
                lo=lo,
                hi=hi,
                speaker=speaker,
                speaker_label=name or description or "an unnamed source",
                channel=channel,
                duration=Duration(d_text, iso_days(d_iso), d_bound or "none", bool(d_open)) if d_text else None,
                conditions=tuple(json.loads(conditions)) if conditions and conditions != "[]" else (),
                dated=event_date is not None,
                said=date.fromisoformat(published[:10]).toordinal() if published else None,
                proposers=frozenset(proposers.get(claim_id, ())),
                when_words=when_words,
                began=began,
                concedes_halt=bool(CONCEDED_HALT.search(quotes.get(claim_id, ""))),
                names_truce=bool(TRUCE_WORDS.search(quotes.get(claim_id, ""))),
                place_states=(
                    _place_states(place, state_sides) - set(sides.get(claim_id, ()))
                    if (kind == "denial" or factuality == "negated") and scope == "national"
                    else frozenset()
                ),
            )
        )
    return facts


# --- blocking ---------------------------------------------------------------------


def _sweep(
    items: list[ClaimFacts], window: int, cross: list[ClaimFacts] | None = None
) -> Iterator[tuple[ClaimFacts, ClaimFacts]]:
    """Pairs whose date windows come within `window` days of each other. With `cross`,
    only pairs with one claim from each list."""
    tagged = [(c, 0) for c in items] + [(c, 1) for c in cross or ()]
    far = 10**9
    tagged.sort(key=lambda t: t[0].lo if t[0].lo is not None else -far)
    for i, (a, side_a) in enumerate(tagged):
        reach = (a.hi + window) if a.hi is not None else far
        for b, side_b in tagged[i + 1 :]:
            if b.lo is not None and b.lo > reach:
                break
            if cross is None or side_a != side_b:
                yield a, b


def candidate_pairs(
    facts: Iterable[ClaimFacts], window: int = DEFAULT_WINDOW_DAYS
) -> Iterator[tuple[ClaimFacts, ClaimFacts]]:
    """Each candidate pair once, from blocks of sides and the time window."""
    pair_blocks: dict[tuple[str, ...], list[ClaimFacts]] = defaultdict(list)
    single_blocks: dict[str, list[ClaimFacts]] = defaultdict(list)
    blocks_with_side: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for claim in facts:
        keys: set[tuple[str, ...]] = set()
        for sides in claim.side_sets:
            if len(sides) >= 2:
                keys.update(combinations(sorted(sides), 2))
            elif sides:
                single_blocks[next(iter(sides))].append(claim)
        for key in keys:
            pair_blocks[key].append(claim)
            for side in key:
                blocks_with_side[side].add(key)
    seen: set[tuple[str, str]] = set()

    def emit(pairs: Iterable[tuple[ClaimFacts, ClaimFacts]]) -> Iterator[tuple[ClaimFacts, ClaimFacts]]:
        for a, b in pairs:
            key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
            if a.id != b.id and key not in seen:  # a denial may sit in a block of its own and a pair block
                seen.add(key)
                yield (a, b) if a.id < b.id else (b, a)

    for members in pair_blocks.values():
        yield from emit(_sweep(members, window))
    for side, members in single_blocks.items():
        yield from emit(_sweep(members, window))
        for key in blocks_with_side.get(side, ()):
            yield from emit(_sweep(members, window, cross=pair_blocks[key]))


def find_conflicts(
    facts: list[ClaimFacts], window: int = DEFAULT_WINDOW_DAYS, only_articles: set[str] | None = None
) -> tuple[list[Candidate], CrosscheckReport]:
    """Compare the candidate pairs; returns the flagged and ambiguous ones."""
    report = CrosscheckReport(claims=len(facts))
    timeline = Timeline(facts)
    outcomes = []
    for a, b in candidate_pairs(facts, window):
        if only_articles is not None and a.article_id not in only_articles and b.article_id not in only_articles:
            continue
        report.candidates += 1
        outcome = compare(a, b, timeline)
        if outcome is not None:
            outcomes.append(Candidate(a, b, outcome))
    for candidate in outcomes:
        if isinstance(candidate.outcome, Finding):
            report.found[candidate.outcome.type] += 1
        else:
            report.ambiguous += 1
    return outcomes, report


# --- storage ----------------------------------------------------------------------


def save_findings(db: Database, candidates: list[Candidate], run_id: int, only_articles: set[str] | None) -> None:
    """Insert new rule findings and drop rule findings that no longer hold, in one
    transaction. Re-running adds nothing twice."""
    found = [(c.a.id, c.b.id, c.outcome) for c in candidates if isinstance(c.outcome, Finding)]
    keys = {(a, b, f.type) for a, b, f in found}
    with store.transaction(db):
        existing = db.execute(
            "SELECT conflicts.id, claim_a, claim_b, type, c1.article_id, c2.article_id FROM conflicts "
            "JOIN claims c1 ON c1.id = claim_a JOIN claims c2 ON c2.id = claim_b WHERE method LIKE 'rule:%'"
        ).fetchall()
        stale = [
            row[0]
            for row in existing
            if (row[1], row[2], row[3]) not in keys
            and (only_articles is None or row[4] in only_articles or row[5] in only_articles)
        ]
        db.conn.executemany("DELETE FROM conflicts WHERE id = ?", [(i,) for i in stale])
        db.conn.executemany(
            "INSERT OR IGNORE INTO conflicts (claim_a, claim_b, type, severity, reason, method, run_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(a, b, f.type, f.severity, f.reason, f"rule: {f.rule}", run_id, store.now()) for a, b, f in found],
        )


# --- a cross-check run ------------------------------------------------------------


def run_crosscheck(
    db: Database,
    window: int = DEFAULT_WINDOW_DAYS,
    adjudicator: ModelClient | None = None,
    only_articles: set[str] | None = None,
    concurrency: int = 4,
    command: str = "crosscheck",
) -> CrosscheckReport:
    """Cross-check the database (or only pairs touching `only_articles`) and store what
    is found. With an `adjudicator`, ambiguous pairs are sent to that model."""
    settings = adjudicator.settings if adjudicator else None
    if adjudicator is not None:  # loaded only here: it needs the model SDK
        from extractor.crosscheck.adjudicate import adjudicate_pairs, adjudication_prompt_hash
    run_id = store.start_run(
        db,
        command,
        settings.model if settings else None,
        settings.base_url if settings else None,
        settings.mode if settings else None,
        adjudication_prompt_hash() if settings else None,
    )
    started = time.perf_counter()
    resolve_entities(db)
    candidates, report = find_conflicts(load_facts(db, window), window, only_articles)
    save_findings(db, candidates, run_id, only_articles)
    if adjudicator is not None:
        ambiguous = [(c.a.id, c.b.id, c.outcome.reason) for c in candidates if isinstance(c.outcome, Ambiguous)]
        report.adjudicated, report.adjudication_errors = adjudicate_pairs(
            db, ambiguous, adjudicator, run_id, concurrency
        )
    report.seconds = time.perf_counter() - started
    errors = [{"source": "adjudication", "error": e} for e in report.adjudication_errors]
    store.finish_run(db, run_id, store.RunTotals(), errors, "completed")
    return report


@dataclass
class ConflictFilters:
    type: str | None = None
    party: str | None = None
    article: str | None = None
    outlet: str | None = None


def query_conflicts(
    db: Database, filters: ConflictFilters | None = None, claim_id: str | None = None
) -> Iterator[dict]:
    """Conflicts with both claims' summaries and sources."""
    filters = filters or ConflictFilters()
    where, params = ["1 = 1"], []
    if filters.type:
        where.append("f.type = ?")
        params.append(filters.type)
    if filters.party:
        where.append(
            "EXISTS (SELECT 1 FROM parties p WHERE p.claim_id IN (f.claim_a, f.claim_b) "
            "AND (p.canonical = ? COLLATE NOCASE OR p.name = ? COLLATE NOCASE))"
        )
        params += [canonical_name(filters.party), filters.party]
    if filters.article:
        where.append("(a.article_id LIKE ? OR b.article_id LIKE ?)")
        params += [f"{filters.article}%"] * 2
    if filters.outlet:
        where.append(
            "EXISTS (SELECT 1 FROM attributions t WHERE t.claim_id IN (f.claim_a, f.claim_b) "
            "AND t.role IN ('publisher', 'relay') AND t.name LIKE ?)"
        )
        params.append(f"%{filters.outlet}%")
    if claim_id:
        where.append("? IN (f.claim_a, f.claim_b)")
        params.append(claim_id)
    sql = f"""
        SELECT f.id, f.type, f.severity, f.reason, f.method, f.claim_a, f.claim_b, f.run_id,
               a.summary AS claim_a_summary, a.speaker AS claim_a_speaker, a.publisher AS claim_a_publisher,
               b.summary AS claim_b_summary, b.speaker AS claim_b_speaker, b.publisher AS claim_b_publisher,
               a.article_id AS claim_a_article, b.article_id AS claim_b_article
        FROM conflicts f JOIN claims a ON a.id = f.claim_a JOIN claims b ON b.id = f.claim_b
        WHERE {" AND ".join(where)} ORDER BY f.claim_a, f.claim_b, f.type"""
    for row in db.query(sql, params):
        for side in ("claim_a", "claim_b"):
            row[f"{side}_sources"] = [
                r["name"]
                for r in db.query(
                    "SELECT name FROM attributions WHERE claim_id = ? AND name IS NOT NULL ORDER BY position",
                    [row[side]],
                )
            ]
        yield row
