"""Scoring predicted claims and conflicts against a suite's gold.

Claims are matched one-to-one by evidence-span overlap (the rule, also in
evals/README.md): a predicted claim and a gold claim of the same article are candidates
when one of the predicted claim's aligned evidence spans overlaps one of the gold
claim's spans (its evidence or its alternatives) by at least half of the shorter span;
candidates are taken best first (largest overlap, a same-kind pair before any other)
and each claim is used once. A claim whose quotes did not align has no span and cannot
match: it counts against precision.

Everything here works on plain data, so scoring is linear in the number of claims and
independent of how the predictions were made (recording, live model, gold claims).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz

from extractor.crosscheck.conflicts import CONFLICT_TYPES, iso_days
from extractor.entities.canonical import normalise_name
from extractor.evals.suite import GoldClaim, Suite, SuiteArticle
from extractor.extraction.schema import CLAIM_KINDS

MIN_OVERLAP = 0.5  # share of the shorter span
NAME_SIMILARITY = 85.0  # rapidfuzz token-set ratio for "the same name"
FIELDS = ("kind", "factuality", "parties", "entity", "speaker", "relays", "duration", "event_date")


@dataclass
class PredictedParty:
    name: str
    role: str
    entity: str  # the tool's entity for this mention (its canonical name today)


@dataclass
class PredictedClaim:
    id: str
    article_stem: str
    kind: str
    factuality: str
    grounding: str
    spans: list[tuple[int, int]]  # aligned evidence offsets
    quotes: int  # evidence quotes the model gave
    quotes_slicing_back: int  # aligned quotes with text[start:end] == quote
    parties: list[PredictedParty] = field(default_factory=list)
    speaker_name: str | None = None
    speaker_anonymous: bool = False
    relays: list[str] = field(default_factory=list)
    duration_iso: str | None = None
    duration_bound: str | None = None
    duration_open_ended: bool | None = None
    has_duration: bool = False
    event_date: str | None = None
    event_date_precision: str = "unknown"


@dataclass(frozen=True)
class PredictedConflict:
    claim_a: str
    claim_b: str
    type: str
    reason: str
    method: str


@dataclass
class Item:
    """One line of the evidence behind a score: what matched, was missed or wrong."""

    category: str  # claim | conflict | hard_negative | no_claim_span | field | entity | article
    outcome: str  # matched | missed | false | wrong | flagged | hit | failed
    label: str  # claim kind, conflict type, field name ...
    gold: str | None = None  # gold key <stem>#<id>, or a pair
    predicted: str | None = None  # claim id, or a pair of claim ids
    detail: str = ""


# --- spans and matching -----------------------------------------------------------------


def spans_of(text: str, quotes: list[str]) -> list[tuple[int, int]]:
    """Every occurrence of every quote (an article may repeat a paragraph)."""
    spans = []
    for quote in quotes:
        start = text.find(quote)
        while start >= 0:
            spans.append((start, start + len(quote)))
            start = text.find(quote, start + 1)
    return spans


def gold_spans(item: SuiteArticle, claim: GoldClaim) -> list[tuple[int, int]]:
    return spans_of(item.article.text, [e.quote for e in claim.evidence] + claim.alternatives)


def overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> float:
    """The best overlap between any span of `a` and any of `b`, as a share of the shorter."""
    best = 0.0
    for a0, a1 in a:
        for b0, b1 in b:
            shared = min(a1, b1) - max(a0, b0)
            if shared > 0:
                best = max(best, shared / max(1, min(a1 - a0, b1 - b0)))
    return best


def match_claims(item: SuiteArticle, predicted: list[PredictedClaim]) -> list[tuple[GoldClaim, PredictedClaim, float]]:
    """One-to-one matches between one article's gold and predicted claims."""
    candidates = []
    spans = {g.id: gold_spans(item, g) for g in item.gold.claims}
    for g in item.gold.claims:
        for p in predicted:
            share = overlap(p.spans, spans[g.id])
            if share >= MIN_OVERLAP:
                candidates.append((share + (1.0 if p.kind == g.kind else 0.0), g, p, share))
    candidates.sort(key=lambda c: -c[0])
    used_gold: set[str] = set()
    used_predicted: set[str] = set()
    matches = []
    for _, g, p, share in candidates:
        if g.id not in used_gold and p.id not in used_predicted:
            used_gold.add(g.id)
            used_predicted.add(p.id)
            matches.append((g, p, share))
    return matches


# --- field comparisons ---------------------------------------------------------------------


def same_name(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    x, y = normalise_name(a), normalise_name(b)
    return x == y or fuzz.token_set_ratio(x, y) >= NAME_SIMILARITY


def align_parties(gold: GoldClaim, predicted: PredictedClaim) -> list[tuple[int, PredictedParty | None]]:
    """For each gold party (by index), the predicted party that names it, if any."""
    free = list(predicted.parties)
    aligned: list[tuple[int, PredictedParty | None]] = []
    for index, party in enumerate(gold.parties):
        found = next((p for p in free if same_name(p.name, party.name)), None)
        if found is not None:
            free.remove(found)
        aligned.append((index, found))
    return aligned


def _parties_correct(gold: GoldClaim, predicted: PredictedClaim, aligned) -> bool:
    if len(predicted.parties) != len(gold.parties):
        return False
    return all(p is not None and p.role == gold.parties[i].role for i, p in aligned)


def _speaker_correct(gold: GoldClaim, predicted: PredictedClaim) -> bool:
    speaker = gold.attribution.speaker
    if speaker.name:
        return same_name(speaker.name, predicted.speaker_name)
    if speaker.anonymous:
        return predicted.speaker_anonymous and not predicted.speaker_name
    return not predicted.speaker_name and not predicted.speaker_anonymous


def _relays_correct(gold: GoldClaim, predicted: PredictedClaim) -> bool:
    wanted = [o.name for o in gold.attribution.relays]
    if len(wanted) != len(predicted.relays):
        return False
    return all(any(same_name(w, r) for r in predicted.relays) for w in wanted)


def _duration_correct(gold: GoldClaim, predicted: PredictedClaim) -> bool:
    if gold.duration is None:
        return not predicted.has_duration
    if not predicted.has_duration:
        return False
    d = gold.duration
    same_length = iso_days(d.iso8601) == iso_days(predicted.duration_iso)  # P7D = P1W, PT72H = P3D
    return same_length and d.bound == predicted.duration_bound and d.open_ended == bool(predicted.duration_open_ended)


def date_matches(gold: str | None, predicted: str | None, precision: str) -> bool:
    """Gold `YYYY-MM-DD`, `YYYY-MM`, `YYYY-Www` or `YYYY` against a stored date + precision."""
    if gold is None:
        return predicted is None
    if predicted is None:
        return False
    if "-W" in gold:
        year, week = int(gold[:4]), int(gold[6:8])
        found = date.fromisoformat(predicted[:10]).isocalendar() if len(predicted) >= 10 else None
        return precision == "week" and found is not None and (found.year, found.week) == (year, week)
    wanted = {4: "year", 7: "month", 10: "day"}[len(gold)]
    return precision == wanted and predicted[: len(gold)] == gold


# --- the score --------------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _prf(gold: int, predicted: int, matched: int) -> dict:
    precision = _ratio(matched, predicted) if predicted else (1.0 if gold == 0 else None)
    recall = _ratio(matched, gold) if gold else 1.0
    f1 = (
        round(2 * precision * recall / (precision + recall), 4)
        if precision is not None and recall is not None and precision + recall > 0
        else 0.0
    )
    return {
        "gold": gold,
        "predicted": predicted,
        "matched": matched,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


@dataclass
class Scores:
    summary: dict
    items: list[Item]


def score(
    suite: Suite,
    predicted: list[PredictedClaim],
    conflicts: list[PredictedConflict],
    failed_articles: dict[str, str] | None = None,
) -> Scores:
    """Score predictions (grouped by article stem) against the suite's gold."""
    items: list[Item] = []
    by_article: dict[str, list[PredictedClaim]] = defaultdict(list)
    for claim in predicted:
        by_article[claim.article_stem].append(claim)
    gold_of: dict[str, str] = {}  # predicted claim id -> gold key
    field_counts = {name: Counter() for name in FIELDS}
    kind_counts: dict[str, Counter] = {k: Counter() for k in CLAIM_KINDS}
    entity_mentions: list[tuple[str, str, str, str]] = []  # gold entity, predicted entity, gold key, claim id
    no_claim_hits = no_claim_total = 0

    for item in suite.articles:
        mine = by_article.get(item.stem, [])
        matches = match_claims(item, mine)
        matched_gold = {g.id for g, _, _ in matches}
        matched_predicted = {p.id for _, p, _ in matches}
        for g in item.gold.claims:
            kind_counts[g.kind]["gold"] += 1
        for p in mine:
            kind_counts.setdefault(p.kind, Counter())["predicted"] += 1
        for g, p, share in matches:
            key = item.claim_key(g.id)
            gold_of[p.id] = key
            kind_counts[g.kind]["matched_gold"] += 1
            kind_counts.setdefault(p.kind, Counter())["matched_predicted"] += 1
            items.append(Item("claim", "matched", g.kind, key, p.id, f"span overlap {share:.0%}"))
            aligned = align_parties(g, p)
            checks = {
                "kind": (g.kind == p.kind, f"gold {g.kind}, predicted {p.kind}"),
                "factuality": (g.factuality == p.factuality, f"gold {g.factuality}, predicted {p.factuality}"),
                "parties": (
                    _parties_correct(g, p, aligned),
                    f"gold {[(x.name, x.role) for x in g.parties]}, predicted {[(x.name, x.role) for x in p.parties]}",
                ),
                "speaker": (
                    _speaker_correct(g, p),
                    f"gold {g.attribution.speaker.name or g.attribution.speaker.description!r}, "
                    f"predicted {p.speaker_name!r} (anonymous={p.speaker_anonymous})",
                ),
                "relays": (
                    _relays_correct(g, p),
                    f"gold {[o.name for o in g.attribution.relays]}, predicted {p.relays}",
                ),
                "duration": (
                    _duration_correct(g, p),
                    f"gold {g.duration.text if g.duration else None!r}, predicted "
                    f"{(p.duration_iso, p.duration_bound, p.duration_open_ended) if p.has_duration else None}",
                ),
                "event_date": (
                    date_matches(g.event_date, p.event_date, p.event_date_precision),
                    f"gold {g.event_date}, predicted {p.event_date} ({p.event_date_precision})",
                ),
            }
            for name, (ok, detail) in checks.items():
                field_counts[name]["total"] += 1
                field_counts[name]["correct"] += ok
                if not ok:
                    items.append(Item("field", "wrong", name, key, p.id, detail))
            for index, party in aligned:
                if party is not None:
                    entity_mentions.append((g.parties[index].entity, party.entity, key, p.id))
        for g in item.gold.claims:
            if g.id not in matched_gold:
                items.append(Item("claim", "missed", g.kind, item.claim_key(g.id), None, g.summary))
        for p in mine:
            if p.id not in matched_predicted:
                why = "its quotes did not align" if not p.spans else "no gold claim has these words"
                items.append(Item("claim", "false", p.kind, None, p.id, why))
        for span in item.gold.no_claim_spans:
            no_claim_total += 1
            region = spans_of(item.article.text, [span.quote])
            hits = [p.id for p in mine if overlap(p.spans, region) >= MIN_OVERLAP]
            if hits:
                no_claim_hits += 1
                items.append(Item("no_claim_span", "hit", "no claim", item.stem, ", ".join(hits), span.why))

    entities = _score_entities(entity_mentions, items, field_counts["entity"])
    conflict_summary = _score_conflicts(suite, conflicts, gold_of, items)
    for stem, error in (failed_articles or {}).items():
        items.append(Item("article", "failed", "extraction", stem, None, error))

    total_gold = sum(len(a.gold.claims) for a in suite.articles)
    claims = _prf(total_gold, len(predicted), len(gold_of))
    claims["by_kind"] = {kind: _per_kind(c) for kind, c in kind_counts.items() if c["gold"] or c["predicted"]}
    quotes = sum(p.quotes for p in predicted)
    aligned = sum(len(p.spans) for p in predicted)
    summary = {
        "articles": len(suite.articles),
        "failed_articles": len(failed_articles or {}),
        "claims": claims,
        "fields": {
            name: {"correct": c["correct"], "total": c["total"], "accuracy": _ratio(c["correct"], c["total"])}
            for name, c in field_counts.items()
        },
        "grounding": {
            "quotes": quotes,
            "aligned": aligned,
            "slicing_back": sum(p.quotes_slicing_back for p in predicted),
            "invented_quotes_caught": quotes - aligned,
            "ungrounded_claims": sum(p.grounding != "grounded" for p in predicted),
            "grounded_share": _ratio(sum(p.grounding == "grounded" for p in predicted), len(predicted)),
        },
        "conflicts": conflict_summary,
        "no_claim_spans": {"total": no_claim_total, "hit": no_claim_hits},
        "entities": entities,
    }
    return Scores(summary, items)


def _per_kind(counts: Counter) -> dict:
    """Recall over the gold claims of a kind, precision over the predicted claims of it."""
    precision = _ratio(counts["matched_predicted"], counts["predicted"])
    recall = _ratio(counts["matched_gold"], counts["gold"])
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else 0.0
    return {
        "gold": counts["gold"],
        "predicted": counts["predicted"],
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _score_conflicts(
    suite: Suite, flagged: list[PredictedConflict], gold_of: dict[str, str], items: list[Item]
) -> dict:
    gold = {(_pair(c.a, c.b), c.type) for c in suite.conflicts()}
    gold_pairs = {pair: kind for pair, kind in gold}
    negatives = {_pair(p.a, p.b): p.why for p in suite.hard_negatives()}
    found: set[tuple[tuple[str, str], str]] = set()
    false_flags: Counter = Counter()
    negatives_flagged: set[tuple[str, str]] = set()
    for conflict in flagged:
        ids = f"{conflict.claim_a} / {conflict.claim_b}"
        a, b = gold_of.get(conflict.claim_a), gold_of.get(conflict.claim_b)
        if a is None or b is None:
            false_flags[conflict.type] += 1
            items.append(Item("conflict", "false", conflict.type, None, ids, "a claim of this pair is not in gold"))
            continue
        pair = _pair(a, b)
        if (pair, conflict.type) in gold:
            found.add((pair, conflict.type))
            items.append(Item("conflict", "matched", conflict.type, " / ".join(pair), ids, conflict.reason))
            continue
        false_flags[conflict.type] += 1
        if pair in negatives:
            negatives_flagged.add(pair)
            items.append(Item("hard_negative", "flagged", conflict.type, " / ".join(pair), ids, negatives[pair]))
        elif pair in gold_pairs:
            detail = f"gold type is {gold_pairs[pair]}; {conflict.reason}"
            items.append(Item("conflict", "wrong", conflict.type, " / ".join(pair), ids, detail))
        else:
            items.append(Item("conflict", "false", conflict.type, " / ".join(pair), ids, conflict.reason))
    extracted = set(gold_of.values())
    for pair, kind in sorted(gold - found):
        items.append(Item("conflict", "missed", kind, " / ".join(pair), None, _why_missed(pair, extracted)))
    by_type = {}
    for kind in CONFLICT_TYPES:
        gold_n = sum(1 for _, k in gold if k == kind)
        correct = sum(1 for _, k in found if k == kind)
        flagged_n = correct + false_flags[kind]
        if gold_n or flagged_n:
            by_type[kind] = {
                "gold": gold_n,
                "flagged": flagged_n,
                "correct": correct,
                "precision": _ratio(correct, flagged_n) if flagged_n else None,
                "recall": _ratio(correct, gold_n) if gold_n else None,
            }
    flagged_total = len(found) + sum(false_flags.values())
    return {
        "gold": len(gold),
        "flagged": flagged_total,
        "correct": len(found),
        "precision": _ratio(len(found), flagged_total) if flagged_total else (1.0 if not gold else None),
        "recall": _ratio(len(found), len(gold)) if gold else 1.0,
        "by_type": by_type,
        "hard_negatives": {"total": len(negatives), "flagged": len(negatives_flagged)},
    }


def _why_missed(pair: tuple[str, str], extracted: set[str]) -> str:
    absent = [key for key in pair if key not in extracted]
    return f"not extracted: {', '.join(absent)}" if absent else "both claims extracted; the cross-check did not flag"


def _score_entities(mentions: list[tuple[str, str, str, str]], items: list[Item], counts: Counter) -> dict:
    """Each gold entity is represented by the predicted entity most of its mentions got;
    a mention is resolved when it got that entity and no other gold entity shares it (a
    false merge)."""
    by_gold: dict[str, Counter] = defaultdict(Counter)
    by_predicted: dict[str, set[str]] = defaultdict(set)
    for gold, predicted, _, _ in mentions:
        by_gold[gold][predicted] += 1
        by_predicted[predicted].add(gold)
    representative = {gold: counter.most_common(1)[0][0] for gold, counter in by_gold.items()}
    merged = {p: sorted(golds) for p, golds in by_predicted.items() if len(golds) > 1}
    resolved_by_claim: dict[str, bool] = {}
    resolved = 0
    for gold, predicted, key, claim_id in mentions:
        ok = predicted == representative[gold] and predicted not in merged
        resolved += ok
        resolved_by_claim[claim_id] = resolved_by_claim.get(claim_id, True) and ok
        if not ok:
            why = (
                f"merged with {', '.join(g for g in merged[predicted] if g != gold)}"
                if predicted in merged
                else f"resolved to {predicted!r}, most mentions of {gold} to {representative[gold]!r}"
            )
            items.append(Item("entity", "wrong", gold, key, claim_id, why))
    for ok in resolved_by_claim.values():
        counts["total"] += 1
        counts["correct"] += ok
    splits = {g: sorted(c) for g, c in by_gold.items() if len(c) > 1}
    return {
        "mentions": len(mentions),
        "resolved": resolved,
        "share": _ratio(resolved, len(mentions)),
        "false_merges": merged,
        "splits": splits,
    }
