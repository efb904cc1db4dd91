"""Conflict rules: when two claims about the same truce cannot both be true.

Each rule looks at structured fields only, so every flag is cheap and explainable:
- retraction: the same speaker says a truce exists, then denies it;
- scope: local calls or offers against an organisation-wide denial (a partial conflict);
- existence: a truce said to exist, be agreed or declared, against a denial of it;
- status: in effect against ended, at the same time;
- terms: durations or conditions that differ ("open-ended", "at least two months" and
  "until the end of the American election" are three different terms).
Claims that agree, or where one refines the other (a duration stated more precisely),
are not flagged. Pairs the rules cannot settle are returned as `Ambiguous`, for the
optional model adjudication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

CONFLICT_TYPES = ("existence", "status", "terms", "scope", "retraction")
EXISTENCE_KINDS = frozenset({"agreement", "declaration", "in_effect", "extension"})
CALL_KINDS = frozenset({"request", "offer"})
ENDED_KINDS = frozenset({"end"})
BROAD_SCOPES = frozenset({"organisation-wide", "national"})
NARROW_SCOPES = frozenset({"local", "regional"})
CONDITION_SIMILARITY = 70.0  # token-set ratio below which two conditions differ


@dataclass(frozen=True, slots=True)
class Duration:
    text: str
    days: float | None  # length in days when definite
    bound: str  # exact | at_least | at_most | until_event | none
    open_ended: bool

    @property
    def vague(self) -> bool:
        return not self.open_ended and self.days is None and self.bound in ("none", "exact")


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """What the cross-check needs of a claim."""

    id: str
    article_id: str
    kind: str
    negated: bool
    scope: str
    sides: frozenset[str]  # canonical parties reduced to their widest group; no mediators
    places: frozenset[str]  # proper names in the place, lower-cased
    lo: int | None  # first and last possible day of the event (ordinal), None = unknown
    hi: int | None
    speaker: str | None  # key that identifies one speaker across claims
    speaker_label: str
    channel: str | None
    duration: Duration | None
    conditions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    type: str  # existence | status | terms | scope | retraction
    severity: str  # high | medium | partial
    reason: str
    rule: str


@dataclass(frozen=True, slots=True)
class Ambiguous:
    reason: str


_ISO_PART = re.compile(r"(\d+(?:\.\d+)?)([YMWDH])")
_DAYS = {"Y": 365.0, "M": 30.0, "W": 7.0, "D": 1.0, "H": 1 / 24}


def iso_days(iso: str | None) -> float | None:
    """Approximate length in days of an ISO 8601 duration such as P1M or PT72H."""
    if not iso or not iso.startswith("P"):
        return None
    date_part, _, time_part = iso[1:].partition("T")
    total = 0.0
    for part, allowed in ((date_part, "YMWD"), (time_part, "H")):
        for number, unit in _ISO_PART.findall(part):
            if unit in allowed:
                total += float(number) * _DAYS[unit]
    return total or None


def same_event(a: ClaimFacts, b: ClaimFacts) -> bool:
    """Same parties (both sides when both claims name two), compatible place."""
    shared = len(a.sides & b.sides)
    if shared < min(2, len(a.sides), len(b.sides)) or shared == 0:
        return False
    if a.places and b.places and not (a.places & b.places):
        return a.scope in BROAD_SCOPES or b.scope in BROAD_SCOPES
    return True


def _a(kind: str) -> str:
    """'an offer', 'an in effect truce' -> readable kind with its article."""
    words = {"in_effect": "truce in effect", "end": "truce ended"}.get(kind, kind)
    return ("an " if words[0] in "aeiou" else "a ") + words


def _who(claim: ClaimFacts) -> str:
    return claim.speaker_label + (f" ({claim.channel})" if claim.channel else "")


def _retraction(a: ClaimFacts, b: ClaimFacts) -> Finding | None:
    if a.speaker is None or a.speaker != b.speaker or a.negated == b.negated:
        return None
    said, denied = (b, a) if a.negated else (a, b)
    if said.kind not in EXISTENCE_KINDS:
        return None
    return Finding(
        "retraction",
        "high",
        f"{said.speaker_label} says a truce is {said.kind.replace('_', ' ')} ({said.channel or 'one statement'}) "
        f"and denies it ({denied.channel or 'another statement'})",
        "same speaker asserts then negates",
    )


def _scope(a: ClaimFacts, b: ClaimFacts) -> Finding | None:
    if a.negated == b.negated:
        return None
    denial, other = (a, b) if a.negated else (b, a)
    if denial.scope not in BROAD_SCOPES or other.scope not in NARROW_SCOPES:
        return None
    if other.kind not in CALL_KINDS | EXISTENCE_KINDS:
        return None
    return Finding(
        "scope",
        "partial",
        f"{_who(denial)} denies it {denial.scope}, while {_who(other)} reports {_a(other.kind)} "
        f"of {other.scope} scope: only partly contradictory",
        "broad denial against narrow claim",
    )


def _existence(a: ClaimFacts, b: ClaimFacts) -> Finding | Ambiguous | None:
    if a.negated == b.negated:
        return None
    denial, other = (a, b) if a.negated else (b, a)
    if other.kind in EXISTENCE_KINDS:
        return Finding(
            "existence",
            "high",
            f"{_who(other)} says a truce is {other.kind.replace('_', ' ')}; {_who(denial)} denies it",
            "denial against existence",
        )
    if other.kind in CALL_KINDS:
        return Ambiguous(f"{_who(denial)} denies a truce; {_who(other)} reports {_a(other.kind)}")
    return None


def _status(a: ClaimFacts, b: ClaimFacts) -> Finding | Ambiguous | None:
    if a.negated or b.negated:
        return None
    kinds = {a.kind, b.kind}
    if kinds & ENDED_KINDS and kinds & {"in_effect", "extension"}:
        ended, holding = (a, b) if a.kind in ENDED_KINDS else (b, a)
        if _overlap_days(a, b):
            return Finding(
                "status",
                "medium",
                f"{_who(holding)} says the truce holds; {_who(ended)} says it ended, at the same time",
                "in effect against ended",
            )
        return Ambiguous("in effect against ended, but the dates do not show whether at the same time")
    if a.speaker != b.speaker and (
        (a.kind in EXISTENCE_KINDS and b.kind in CALL_KINDS) or (b.kind in EXISTENCE_KINDS and a.kind in CALL_KINDS)
    ):
        agreed, called = (a, b) if a.kind in EXISTENCE_KINDS else (b, a)
        return Ambiguous(f"{_who(agreed)} reports {_a(agreed.kind)}; {_who(called)} only {_a(called.kind)}")
    return None


def _overlap_days(a: ClaimFacts, b: ClaimFacts) -> bool:
    if a.lo is None or b.lo is None or a.hi is None or b.hi is None:
        return False
    return a.lo <= b.hi and b.lo <= a.hi


def durations_conflict(x: Duration, y: Duration) -> bool:
    """Whether two stated durations cannot describe the same truce."""
    if x.vague or y.vague:
        # "temporarily" is refined by any bounded duration, but contradicts "open-ended".
        return (x.vague and y.open_ended) or (y.vague and x.open_ended)
    if x.open_ended or y.open_ended:
        return x.open_ended != y.open_ended
    if x.bound == "until_event" or y.bound == "until_event":
        if x.bound == y.bound:
            return fuzz.token_set_ratio(x.text, y.text) < CONDITION_SIMILARITY
        return True
    if x.days is None or y.days is None:
        return False
    low = {"at_least": "lower", "at_most": "upper"}
    kind_x, kind_y = low.get(x.bound, "exact"), low.get(y.bound, "exact")
    if kind_x == kind_y == "exact":
        return abs(x.days - y.days) > 0.1 * max(x.days, y.days)
    if "exact" in (kind_x, kind_y):
        exact, bound = (x, y) if kind_x == "exact" else (y, x)
        return exact.days < bound.days if bound.bound == "at_least" else exact.days > bound.days
    if kind_x != kind_y:  # at least N against at most M
        lower, upper = (x, y) if kind_x == "lower" else (y, x)
        return lower.days > upper.days
    return False  # two lower (or two upper) bounds refine each other


def conditions_differ(xs: tuple[str, ...], ys: tuple[str, ...]) -> tuple[str, str] | None:
    """A pair of conditions with nothing in common, when both claims state some."""
    if not xs or not ys:
        return None
    for x in xs:
        if all(fuzz.token_set_ratio(x, y) < CONDITION_SIMILARITY for y in ys):
            return x, ys[0]
    return None


def _terms(a: ClaimFacts, b: ClaimFacts) -> Finding | None:
    if a.negated or b.negated:
        return None
    if not ({a.kind, b.kind} <= CALL_KINDS | EXISTENCE_KINDS):
        return None
    if a.duration and b.duration and durations_conflict(a.duration, b.duration):
        return Finding(
            "terms",
            "medium",
            f"durations differ: {a.duration.text!r} ({a.speaker_label}) "
            f"against {b.duration.text!r} ({b.speaker_label})",
            "different durations",
        )
    differing = conditions_differ(a.conditions, b.conditions)
    if differing:
        return Finding(
            "terms",
            "medium",
            f"conditions differ: {differing[0]!r} ({a.speaker_label}) against {differing[1]!r} ({b.speaker_label})",
            "different conditions",
        )
    return None


RULES = (_retraction, _scope, _existence, _status, _terms)


def compare(a: ClaimFacts, b: ClaimFacts) -> Finding | Ambiguous | None:
    """The first rule that flags the pair; else the first ambiguity; else None."""
    if not same_event(a, b):
        return None
    ambiguity = None
    for rule in RULES:
        outcome = rule(a, b)
        if isinstance(outcome, Finding):
            return outcome
        if isinstance(outcome, Ambiguous) and ambiguity is None:
            ambiguity = outcome
    return ambiguity
