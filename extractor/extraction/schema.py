"""The contract between prompt, model, database and evals.

`ArticleExtraction` is what the model is asked to return. Field descriptions are part
of the JSON schema the model reads, so they are written for the model. Everything the
program works out itself (canonical names, resolved dates, quote offsets) lives in
`GroundedClaim` and is never asked of the model.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import GenerateJsonSchema

ClaimKind = Literal[
    "request",
    "offer",
    "agreement",
    "declaration",
    "in_effect",
    "extension",
    "violation",
    "end",
    "rejection",
    "denial",
    "talks",
]
CLAIM_KINDS: tuple[str, ...] = ClaimKind.__args__  # type: ignore[attr-defined]

PartyRole = Literal["proposer", "recipient", "party", "mediator"]
Scope = Literal["local", "regional", "national", "organisation-wide", "unknown"]
Factuality = Literal["asserted", "reported", "hedged", "negated"]
DurationBound = Literal["exact", "at_least", "at_most", "until_event", "none"]
Alignment = Literal["exact", "normalised", "fuzzy", "ungrounded"]


# Length bounds keep a runaway answer (small local models loop inside a string) from
# filling the context: servers that compile the schema to a grammar enforce them.
MAX_QUOTE_CHARS = 500
MAX_TEXT_CHARS = 400


class Party(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(
        description="The party as the article names it, e.g. 'Islamic State', 'the Peshmerga', "
        "'Kataib Hezbollah'. Where the article refers back with a generic phrase ('the militia "
        "factions'), use the fuller name it gives elsewhere ('Iran-backed militias')."
    )
    standard_name: str | None = Field(
        default=None,
        max_length=MAX_TEXT_CHARS,
        description="The party's standard full name, from the article or general knowledge, "
        "e.g. 'Myanmar Armed Forces' for 'the Tatmadaw' or 'junta troops', 'Tigray People's "
        "Liberation Front' for 'TPLF'; for a back-reference ('the other side'), the full name of "
        "the party meant. Null when you do not know it.",
    )
    role: PartyRole = Field(
        description="proposer: asks for or offers the truce; recipient: the side asked "
        "or offered to; party: a side to an agreed or existing truce; mediator: "
        "brokers or encourages it without being a side."
    )


class Duration(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(description="The duration exactly as written, e.g. 'one-month'.")
    iso8601: str | None = Field(
        default=None,
        description="ISO 8601 duration only when the text gives a definite length "
        "('one-month' -> 'P1M', 'two weeks' -> 'P2W', 'at least two months' -> 'P2M' "
        "with bound at_least). Null for 'open-ended' or 'until the election'.",
    )
    open_ended: bool = Field(default=False, description="True when the truce is said to have no end date.")
    bound: DurationBound = Field(
        default="none",
        description="exact: a fixed length; at_least / at_most: a bound on the length; "
        "until_event: lasts until an event ('until the end of the American election'); "
        "none: open-ended or not said.",
    )


class Speaker(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(
        default=None,
        description="The speaker's name as written; null when the source is unnamed.",
    )
    title: str | None = Field(default=None, description="Title or role as written, e.g. 'spokesman'.")
    affiliation: str | None = Field(
        default=None,
        description="Organisation the speaker belongs to, e.g. 'Kataib Hezbollah'.",
    )
    anonymous: bool = Field(
        default=False,
        description="True for unnamed sources ('a Peshmerga official', 'sources').",
    )
    description: str | None = Field(
        default=None,
        description="How the article refers to an unnamed speaker, e.g. 'three militia officials'.",
    )
    channel: str | None = Field(
        default=None,
        description="Where the speaker said it: 'TV interview', 'Twitter', "
        "'statement', 'magazine article', 'interview'.",
    )


class Outlet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(description="The outlet as named in the article, e.g. 'Rudaw'.")
    channel: str | None = Field(default=None, description="Medium, e.g. 'TV', 'news agency', 'daily'.")


class Attribution(BaseModel):
    model_config = ConfigDict(extra="ignore")

    publisher: str | None = Field(
        default=None,
        description="The outlet that published this article, if the text names it "
        "(byline, dateline or 'told <outlet>' about itself).",
    )
    relays: list[Outlet] = Field(
        default_factory=list,
        description="Other outlets the article cites as its source for this claim, "
        "outermost first ('Rudaw reported that ...', 'spoke to The Associated Press').",
    )
    speaker: Speaker = Field(
        default_factory=Speaker,
        description="Who made the statement. Use anonymous=true for unnamed sources.",
    )


class Evidence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    quote: str = Field(
        max_length=MAX_QUOTE_CHARS,
        description="A verbatim span copied character for character from the article "
        "that supports the claim. Do not paraphrase, translate or join sentences.",
    )


class TruceClaim(BaseModel):
    """One statement about a truce, as the model extracts it."""

    model_config = ConfigDict(extra="ignore")

    kind: ClaimKind = Field(
        description="request: asks for a truce; offer: proposes one, often on "
        "conditions; agreement: sides reached one; declaration: one side announces it "
        "halts operations; in_effect: a truce exists or holds; extension; violation; "
        "end: called off, expired or collapsed; rejection: dismisses an offer; denial: "
        "says there is no truce or no call for one; talks: negotiations or mediation "
        "toward a truce."
    )
    summary: str = Field(
        max_length=MAX_TEXT_CHARS, description="One plain sentence: who claims what about which truce."
    )
    parties: list[Party] = Field(default_factory=list, description="The armed parties and mediators involved.")
    place: str | None = Field(default=None, description="Where the truce applies, as written; null if unsaid.")
    scope: Scope = Field(
        default="unknown",
        description="Reach of the truce: local (villages, a town), regional (a "
        "province), national, organisation-wide (a whole organisation, e.g. 'ISIS as "
        "an overall organization'), or unknown.",
    )
    when: str | None = Field(
        default=None,
        description="The words that date the event, copied from the article "
        "('on Friday', 'Thursday night', 'On Saturday'); null if undated.",
    )
    truce_began: str | None = Field(
        default=None,
        max_length=MAX_TEXT_CHARS,
        description="For a claim about a truce agreed or begun before the event it reports (a "
        "violation, a truce holding, extended or ended, a deal on how to implement it): the "
        "words that date when that truce was agreed or began, copied from the article "
        "('signed in Pretoria on Nov. 2', 'since Monday evening'); null if unsaid.",
    )
    duration: Duration | None = Field(default=None, description="How long the truce lasts, if stated.")
    conditions: list[str] = Field(
        default_factory=list,
        description="Conditions attached, in the article's words, e.g. 'all "
        "American-led forces withdraw within an acceptable timeframe'.",
    )
    terms: list[str] = Field(
        default_factory=list,
        description="The points or terms of the truce, one per item.",
    )
    factuality: Factuality = Field(
        description="asserted: stated as fact by the article; reported: attributed to a "
        "source; hedged: 'reportedly', 'may', unconfirmed; negated: the claim says the "
        "truce or call does not exist."
    )
    attribution: Attribution = Field(
        default_factory=Attribution,
        description="The chain from the publisher through relaying outlets to the speaker.",
    )
    evidence: list[Evidence] = Field(
        min_length=1,
        max_length=3,
        description="One to three verbatim quotes from the article supporting the claim.",
    )

    @field_validator("evidence")
    @classmethod
    def quotes_not_blank(cls, value: list[Evidence]) -> list[Evidence]:
        if any(not e.quote.strip() for e in value):
            raise ValueError("every evidence quote must contain text from the article")
        return value


class NoFieldTitles(GenerateJsonSchema):
    """pydantic titles every field after its name ("kind": {"title": "Kind", ...}): about
    600 characters of every request that tell the model nothing the name does not."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


class CachedSchema(BaseModel):
    """A response model whose JSON schema is worked out once: instructor asks for it on
    every call, and pydantic rebuilds it each time (several ms of CPU per call).
    instructor also derives a same-named subclass per call, with the same fields, so the
    cache is keyed by the class's name, not the class object. Fields carry no titles
    (`NoFieldTitles`)."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("schema_generator", NoFieldTitles)
        key = (cls.__module__, cls.__qualname__, args, tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
        text = _SCHEMA_CACHE.get(key)
        if text is None:
            text = _SCHEMA_CACHE[key] = json.dumps(super().model_json_schema(*args, **kwargs))
        return orjson.loads(text)  # a fresh copy (callers may change it), decoded fast


_SCHEMA_CACHE: dict[tuple, str] = {}


def schema_cache() -> dict[tuple, str]:
    """The schemas worked out so far, as JSON text (the store keeps them once)."""
    return _SCHEMA_CACHE


class ArticleExtraction(CachedSchema):
    """Every truce claim in one article. An article may hold none."""

    model_config = ConfigDict(extra="ignore")

    claims: list[TruceClaim] = Field(
        default_factory=list,
        description="All truce or ceasefire claims in the article, one per statement "
        "and source. Empty when the article holds none. Ignore comments, ads, "
        "navigation and unrelated headlines.",
    )

    @model_validator(mode="before")
    @classmethod
    def claims_must_be_answered(cls, value: object) -> object:
        # An answer without the list ({} or {"truce_claims": [...]}) would otherwise pass as
        # "no claims", a silent false negative; it is re-asked, then the article fails.
        if isinstance(value, dict) and "claims" not in value:
            raise ValueError('the answer must be an object with a "claims" list (empty when there are none)')
        return value


# --- What the program adds --------------------------------------------------------


class GroundedEvidence(BaseModel):
    quote: str  # the article slice when aligned, else the model's words
    model_quote: str
    start: int | None
    end: int | None
    alignment: Alignment
    score: float


class ResolvedDate(BaseModel):
    text: str | None
    date: str | None  # ISO date, or None when unknown
    precision: Literal["day", "week", "month", "year", "unknown"]


class CanonicalParty(BaseModel):
    name: str
    canonical: str
    role: PartyRole
    standard_name: str | None = None


class GroundedClaim(BaseModel):
    """A claim after grounding and normalisation: what gets stored."""

    claim: TruceClaim
    parties: list[CanonicalParty]
    event_date: ResolvedDate
    truce_began: ResolvedDate = ResolvedDate(text=None, date=None, precision="unknown")
    evidence: list[GroundedEvidence]
    grounding: Literal["grounded", "partial", "ungrounded"]
    flags: list[str] = Field(default_factory=list)
    names_not_in_text: list[str] = Field(default_factory=list)
