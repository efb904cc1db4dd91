"""Conflict rules: when two claims about the same truce cannot both be true.

Each rule looks at structured fields only, so every flag is cheap and explainable. In
order (the first that flags a pair gives its type):
- retraction: the same speaker (names compared with spelling tolerance) asserts a truce
  and denies it, or walks it back without a negation: agreed or in effect, and later
  only offered or asked for ("it was only a proposal, we are studying it");
- scope: a denial of another reach than the claim it meets: an organisation-wide denial
  against local offers, or "no truce here" against a regional truce (a partial conflict);
- existence: a denial against a claim that presupposes a truce: agreed, declared, in
  effect, extended or violated. Sequence: a truce agreed after the denial (or one in
  effect after a new truce was agreed since) does not contradict it; when a claim says
  when its truce began (`began`, from the article's words), that day decides, and an
  agreement implementing a truce begun earlier is no new truce. A denial that grants a de
  facto halt ("no ceasefire, only a unilateral pause") does not contradict a report of
  calm that names no truce ("the front lines have been quiet");
- status: in effect against ended at the same time; agreed, holding or violated against
  "only offered" said later by someone else (an offer made before is sequence);
- terms: durations of one arrangement that differ ("open-ended", "at least two months"
  and "until the end of the American election" are three different terms). Terms are
  compared only within one arrangement: never an appeal, never a local pause against a
  wider truce, an offer only against an agreement it does not precede.
Claims that agree, or where one refines the other (a duration stated more precisely),
are not flagged. Pairs the rules cannot settle (conditions in other words, an offer
against a denial) are returned as `Ambiguous`, for the optional model adjudication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

CONFLICT_TYPES = ("existence", "status", "terms", "scope", "retraction")
EXISTENCE_KINDS = frozenset({"agreement", "declaration", "in_effect", "extension"})
CALL_KINDS = frozenset({"request", "offer"})
ENDED_KINDS = frozenset({"end"})
BROAD_SCOPES = frozenset({"organisation-wide", "national"})
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
    dated: bool = True  # lo/hi come from the claim's own event date, not its article's
    said: int | None = None  # the day its article was published (ordinal)
    proposers: frozenset[str] = frozenset()  # sides that ask for or offer the truce
    when_words: str | None = None  # the words that date it, as written
    began: int | None = None  # the day the truce it speaks of began, when the article says
    concedes_halt: bool = False  # a denial that grants a de facto halt: "no ceasefire, only a pause"
    names_truce: bool = True  # its evidence speaks of a truce or deal, not only of calm
    place_states: frozenset[str] = frozenset()  # a country-wide denial: the states its place names

    @property
    def side_sets(self) -> list[frozenset[str]]:
        """The sets of sides it may be matched on: its own, and for a country-wide denial
        its own with each state its place names (see `same_event`)."""
        return [self.sides] + [self.sides | {state} for state in sorted(self.place_states)]


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
    """Same parties (both sides when both claims name two), compatible place. A
    country-wide denial may also be matched with the state its place names as a side:
    "there is no ceasefire in Lebanon", said of Israel and Hezbollah, bears on a truce
    between Israel and Lebanon as well as on one between Israel and Hezbollah."""
    if not any(_same_sides(x, y) for x in a.side_sets for y in b.side_sets):
        return False
    if a.places and b.places and not (a.places & b.places):
        # Different places meet only when one claim reaches further than the other
        # (a town inside the province a truce covers); two towns never do.
        reach_a, reach_b = REACH.get(a.scope), REACH.get(b.scope)
        return a.scope in BROAD_SCOPES or b.scope in BROAD_SCOPES or (reach_a and reach_b and reach_a != reach_b)
    return True


def _same_sides(x: frozenset[str], y: frozenset[str]) -> bool:
    shared = len(x & y)
    return shared > 0 and shared >= min(2, len(x), len(y))


def _a(kind: str) -> str:
    """'an offer', 'an in effect truce' -> readable kind with its article."""
    words = {"in_effect": "truce in effect", "end": "truce ended"}.get(kind, kind)
    return ("an " if words[0] in "aeiou" else "a ") + words


def _who(claim: ClaimFacts) -> str:
    return claim.speaker_label + (f" ({claim.channel})" if claim.channel else "")


PRESUPPOSING = EXISTENCE_KINDS | {"violation"}  # claims that presuppose a truce exists
AGREED_KINDS = frozenset({"agreement", "in_effect", "declaration"})
NEW_TRUCE_KINDS = frozenset({"agreement", "declaration"})
REACH = {"local": 1, "regional": 2, "national": 3, "organisation-wide": 3}
SPEAKER_SIMILARITY = 90.0
WALK_BACK_DAYS = 7  # "only offered" this soon after "agreed" contradicts it; later it may be a new offer


# "no ceasefire, only a unilateral pause", "no truce, just a lull", "merely paused": the
# denial grants a halt in so many words. A bare "but" or "stop" grants nothing ("but we
# will not stop fighting").
_HALT_NOUN = r"(?:pause|lull|halt|suspension|cessation of (?:fire|shelling|operations)|respite)"
CONCEDED_HALT = re.compile(
    rf"\b(?:only|just|merely|simply|rather|but|instead)\s+(?:an?\s+|a\s+mere\s+)"
    rf"(?:[\w-]+\s+){{0,2}}{_HALT_NOUN}\b"
    r"|\b(?:only|just|merely|simply)\s+(?:paused|halted|suspended)\b",
    re.I,
)
# Words that name a truce or a deal, as against a report of calm ("the front has been quiet").
TRUCE_WORDS = re.compile(
    r"\b(?:cease-?fires?|truces?|cessations?|armistices?|agreements?|agreed|deals?|accords?|pacts?|signed|hudna)\b",
    re.I,
)


def when(claim: ClaimFacts) -> int | None:
    """The day a claim's event is dated, else the day it was reported."""
    return claim.lo if claim.dated else claim.said


def same_speaker(a: ClaimFacts, b: ClaimFacts) -> bool:
    """One speaker: the same key, or two full names that differ only in spelling or
    title ('Yahya al-Mansuri' / 'Yahya al-Mansoori'). Unnamed sources are keyed per
    article, so they never meet across articles."""
    if a.speaker is None or b.speaker is None:
        return False
    return a.speaker == b.speaker or _similar_names(*sorted((a.speaker, b.speaker)))


@lru_cache(maxsize=65536)
def _similar_names(x: str, y: str) -> bool:
    if ":" in x or ":" in y or min(len(x.split()), len(y.split())) < 2:
        return False
    return fuzz.token_set_ratio(x, y) >= SPEAKER_SIMILARITY and fuzz.ratio(x.split()[-1], y.split()[-1]) >= 80


def _one_statement(a: ClaimFacts, b: ClaimFacts) -> bool:
    """Two claims from one statement: same article, same channel, same day."""
    return a.article_id == b.article_id and a.channel == b.channel and when(a) == when(b)


_SINCE = re.compile(r"^\s*(since|from|starting|as of|beginning)\b", re.I)


def starts_a_truce(claim: ClaimFacts) -> bool:
    """An agreement or declaration, or a truce said to hold 'since' a day: its date is
    the day a truce began. An agreement on how to implement a truce that began earlier
    ("signed in Pretoria on Nov. 2") starts none."""
    if claim.began is not None and claim.lo is not None and claim.began < claim.lo:
        return False
    return claim.kind in NEW_TRUCE_KINDS or (claim.kind == "in_effect" and bool(_SINCE.match(claim.when_words or "")))


class Timeline:
    """Dated starts (agreements, declarations) and ends of truces per pair of sides, so
    that a rule can tell whether a new truce began, or the old one ended, between two
    claims. The cross-check builds one over all claims; without one, nothing is known."""

    def __init__(self, claims: list[ClaimFacts] | None = None) -> None:
        self.starts: dict[frozenset[str], list[int]] = {}
        self.ends: dict[frozenset[str], list[int]] = {}
        for claim in claims or ():
            if claim.negated:
                continue
            keys = _side_keys(claim.sides) + [frozenset({side}) for side in claim.sides]
            if claim.began is not None:  # the truce it speaks of began then
                for key in keys:
                    self.starts.setdefault(key, []).append(claim.began)
            if not claim.dated or claim.lo is None:
                continue
            target = self.starts if starts_a_truce(claim) else self.ends if claim.kind in ENDED_KINDS else None
            if target is not None:
                for key in keys:
                    target.setdefault(key, []).append(claim.lo)

    @staticmethod
    def _between(index: dict[frozenset[str], list[int]], sides: frozenset[str], after: int, until: int) -> bool:
        return any(after < day <= until for key in _side_keys(sides) for day in index.get(key, ()))

    def new_truce_between(self, sides: frozenset[str], after: int, until: int) -> bool:
        return self._between(self.starts, sides, after, until)

    def ended_between(self, sides: frozenset[str], after: int, until: int) -> bool:
        return self._between(self.ends, sides, after, until)


def _side_keys(sides: frozenset[str]) -> list[frozenset[str]]:
    ordered = sorted(sides)
    if len(ordered) < 2:
        return [frozenset(ordered)] if ordered else []
    return [frozenset((x, y)) for i, x in enumerate(ordered) for y in ordered[i + 1 :]]


def _retraction(a: ClaimFacts, b: ClaimFacts, timeline: Timeline) -> Finding | None:
    kinds = {a.kind, b.kind}
    walk_back = not a.negated and not b.negated and bool(kinds & EXISTENCE_KINDS) and "offer" in kinds
    if not (a.negated != b.negated or walk_back) or not same_speaker(a, b) or _one_statement(a, b):
        return None
    if a.negated != b.negated:
        said, denied = (b, a) if a.negated else (a, b)
        if said.kind not in PRESUPPOSING:
            return None
        return Finding(
            "retraction",
            "high",
            f"{said.speaker_label} says a truce is {said.kind.replace('_', ' ')} ({said.channel or 'one statement'}) "
            f"and denies it ({denied.channel or 'another statement'})",
            "same speaker asserts then negates",
        )
    # A walk-back without a negation: agreed or in effect, later "only proposed" (an
    # offer). A later request is not one: asking for a truce to be extended or respected
    # presupposes it.
    strong, weak = (a, b) if a.kind in EXISTENCE_KINDS else (b, a)
    if weak.kind != "offer" or when(strong) is None or when(weak) is None or when(weak) < when(strong):
        return None
    return Finding(
        "retraction",
        "high",
        f"{strong.speaker_label} said the truce was {strong.kind.replace('_', ' ')} "
        f"({strong.channel or 'one statement'}), later that it is only {_a(weak.kind)} "
        f"({weak.channel or 'another statement'}): a walk-back to a weaker status",
        "same speaker walks back",
    )


def _denial_is_earlier(denial: ClaimFacts, other: ClaimFacts, timeline: Timeline) -> bool:
    """Sequence: the truce the other claim speaks of began after the denial, so both
    can be true. For an agreement or declaration dated after the denial that is the
    truce itself; for a truce in effect or violated later, only if a new truce between
    the same sides is dated between the two."""
    denied_on = denial.hi if denial.dated else denial.said
    other_on = other.lo if other.dated else other.said
    if denied_on is None or other_on is None or other_on <= denied_on:
        return False
    if other.began is not None:  # the article says when the truce it speaks of began
        return other.began > denied_on
    if other.dated and starts_a_truce(other):
        return True
    shared = next((x & y for x in denial.side_sets for y in other.side_sets if _same_sides(x, y)), frozenset())
    return timeline.new_truce_between(shared or other.sides, denied_on, other_on)


def _scope(a: ClaimFacts, b: ClaimFacts, timeline: Timeline) -> Finding | None:
    if a.negated == b.negated:
        return None
    denial, other = (a, b) if a.negated else (b, a)
    wide, narrow = REACH.get(denial.scope), REACH.get(other.scope)
    if denial.scope == "local" and denial.places and narrow is None and not (other.places & denial.places):
        narrow = REACH["regional"]  # "no truce here", against a truce said of no one place
    if wide is None or narrow is None or wide == narrow or other.kind == "violation":
        return None  # a violation presupposes the whole truce: existence
    if wide > narrow and other.kind in CALL_KINDS | EXISTENCE_KINDS:
        what = f"denies it {denial.scope}, while {_who(other)} reports {_a(other.kind)} of {other.scope} scope"
    elif wide < narrow and other.kind in EXISTENCE_KINDS and not _denial_is_earlier(denial, other, timeline):
        what = (
            f"denies it for a {denial.scope} area, while {_who(other)} reports {_a(other.kind)} of {other.scope} scope"
        )
    else:
        return None
    return Finding("scope", "partial", f"{_who(denial)} {what}: only partly contradictory", "denial of another reach")


def _existence(a: ClaimFacts, b: ClaimFacts, timeline: Timeline) -> Finding | Ambiguous | None:
    if a.negated == b.negated:
        return None
    denial, other = (a, b) if a.negated else (b, a)
    if same_speaker(a, b) and _one_statement(a, b):
        return None  # "no ceasefire, only a unilateral pause; the army has stopped": one statement
    if other.kind in PRESUPPOSING:
        if _denial_is_earlier(denial, other, timeline):
            return None
        if denial.concedes_halt and other.kind == "in_effect" and not other.names_truce:
            return None  # "no ceasefire, only a pause" and "the front has been quiet" can both be true
        verb = (
            "reports a violation of a truce"
            if other.kind == "violation"
            else (f"says a truce is {other.kind.replace('_', ' ')}")
        )
        return Finding(
            "existence", "high", f"{_who(other)} {verb}; {_who(denial)} denies it", "denial against existence"
        )
    if other.kind in CALL_KINDS:
        return Ambiguous(f"{_who(denial)} denies a truce; {_who(other)} reports {_a(other.kind)}")
    return None


def _status(a: ClaimFacts, b: ClaimFacts, timeline: Timeline) -> Finding | Ambiguous | None:
    if a.negated or b.negated:
        return None
    kinds = {a.kind, b.kind}
    if kinds & ENDED_KINDS and kinds & {"in_effect", "extension"}:
        ended, holding = (a, b) if a.kind in ENDED_KINDS else (b, a)
        undated_together = a.article_id == b.article_id and not (a.when_words or b.when_words)
        same_days = a.dated and b.dated and _overlap_days(a, b)
        # A truce holds until it ends: held and ended on one day is sequence, held after
        # it ended is not; an extension and an expiry at the same time contradict.
        if holding.kind == "in_effect" and (same_days or _after(ended, holding)):
            return None  # it held, then it ended
        if same_days or undated_together or _after(holding, ended):
            return Finding(
                "status",
                "medium",
                f"{_who(holding)} says the truce {'holds' if holding.kind == 'in_effect' else 'was extended'}; "
                f"{_who(ended)} says it ended, at the same time or before",
                "in effect against ended",
            )
        return Ambiguous("in effect against ended, but the dates do not show whether at the same time")
    # Agreed, holding or violated, against "only proposed" by a third party, said later
    # by someone else. A side offering the truce it agreed to is no contradiction.
    if "offer" not in kinds or same_speaker(a, b):
        return None
    offered, agreed = (a, b) if a.kind == "offer" else (b, a)
    if agreed.kind not in PRESUPPOSING - {"declaration"} or offered.proposers & agreed.sides:
        return None
    t_agreed, t_offered = when(agreed), when(offered)
    if t_agreed is None or t_offered is None:
        return Ambiguous(f"{_who(agreed)} reports {_a(agreed.kind)}; {_who(offered)} only an offer, order unknown")
    # Same day: later only if the agreement is known just by its report's date (on or before).
    not_later = t_offered < t_agreed or (t_offered == t_agreed and (agreed.dated or not offered.dated))
    if not_later or timeline.ended_between(agreed.sides & offered.sides, t_agreed - 1, t_offered):
        return None  # sequence: offered before, or offered again after the truce ended
    if t_offered - t_agreed > WALK_BACK_DAYS:
        return Ambiguous(f"{_who(agreed)} reports {_a(agreed.kind)}; weeks later {_who(offered)} reports an offer")
    return Finding(
        "status",
        "medium",
        f"{_who(agreed)} reports {_a(agreed.kind)}; {_who(offered)} says later that it is only offered",
        "agreed against merely offered",
    )


def _after(a: ClaimFacts, b: ClaimFacts) -> bool:
    """a is dated strictly after b."""
    return a.dated and b.dated and a.lo is not None and b.hi is not None and a.lo > b.hi


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


def same_arrangement(a: ClaimFacts, b: ClaimFacts) -> bool:
    """Terms are compared only between claims about one arrangement: two accounts of an
    agreed or holding truce, two offers by the same proposer, or an offer and an
    agreement it is not known to precede. An appeal is never one; nor are a local
    pause and a wider truce."""
    if a.negated or b.negated:
        return False
    if (a.scope == "local") != (b.scope == "local"):
        return False
    if a.kind in AGREED_KINDS and b.kind in AGREED_KINDS:
        return True
    if a.kind == b.kind == "offer":
        return bool(a.proposers & b.proposers) or not (a.proposers or b.proposers)
    if {a.kind, b.kind} & {"offer"} and {a.kind, b.kind} & AGREED_KINDS:
        offer, agreed = (a, b) if a.kind == "offer" else (b, a)
        return when(offer) is None or when(agreed) is None or when(offer) >= when(agreed)
    return False


def _terms(a: ClaimFacts, b: ClaimFacts, timeline: Timeline) -> Finding | Ambiguous | None:
    if not same_arrangement(a, b):
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
        # Sources report different subsets of conditions, and one condition in many
        # words; only a reader (or the model) can tell whether they contradict.
        return Ambiguous(
            f"conditions worded differently: {differing[0]!r} ({a.speaker_label}) "
            f"against {differing[1]!r} ({b.speaker_label}); the same condition or another?"
        )
    return None


RULES = (_retraction, _scope, _existence, _status, _terms)


def _may_differ(a: ClaimFacts, b: ClaimFacts) -> bool:
    """Whether a rule could flag two claims that are both negated or both not."""
    kinds = {a.kind, b.kind}
    return bool(
        kinds & ENDED_KINDS or "offer" in kinds or (a.duration and b.duration) or (a.conditions and b.conditions)
    )


def compare(a: ClaimFacts, b: ClaimFacts, timeline: Timeline | None = None) -> Finding | Ambiguous | None:
    """The first rule that flags the pair; else the first ambiguity; else None."""
    if a.negated == b.negated and not _may_differ(a, b):
        return None  # the common case at scale, decided before anything costlier
    if not same_event(a, b):
        return None
    timeline = timeline or Timeline()
    ambiguity = None
    for rule in RULES:
        outcome = rule(a, b, timeline)
        if isinstance(outcome, Finding):
            return outcome
        if isinstance(outcome, Ambiguous) and ambiguity is None:
            ambiguity = outcome
    return ambiguity
