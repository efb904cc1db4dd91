"""One article: prompt → model → grounding → (one re-ask for ungrounded quotes).

Pure with respect to storage: it returns an `ArticleExtractionResult` and the pipeline
decides what to write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from extractor.entities.canonical import canonical_name
from extractor.errors import ModelCallError
from extractor.extraction.model import CallRecord, ModelClient, StructuredResult
from extractor.extraction.prompts import extraction_messages, ungrounded_reask_message
from extractor.extraction.schema import ArticleExtraction, CanonicalParty, GroundedClaim, TruceClaim
from extractor.extraction.windows import DEFAULT_WINDOW_CHARS, plan_windows
from extractor.grounding.dates import resolve_event_date
from extractor.grounding.ground import NormalisedText, align_quote, name_in_text
from extractor.read import Article


@dataclass
class ArticleExtractionResult:
    article: Article
    claims: list[GroundedClaim] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    error: str | None = None
    unreachable: bool = False  # the endpoint could not be reached at all
    dropped_ungrounded: int = 0

    @property
    def input_tokens(self) -> int:
        return sum(c.input_tokens or 0 for c in self.calls)

    @property
    def output_tokens(self) -> int:
        return sum(c.output_tokens or 0 for c in self.calls)


def ground_claim(claim: TruceClaim, article: Article, normalised: NormalisedText) -> GroundedClaim:
    """Align the claim's quotes, canonicalise its parties, resolve its date, check names."""
    evidence = [align_quote(e.quote, article.text, normalised) for e in claim.evidence]
    aligned = sum(e.alignment != "ungrounded" for e in evidence)
    grounding = "grounded" if aligned == len(evidence) else "partial" if aligned else "ungrounded"
    flags = [f"quote not found in article: {e.model_quote!r}" for e in evidence if e.start is None]
    chain = claim.attribution
    named = [("speaker", chain.speaker.name)] + [("outlet", o.name) for o in chain.relays]
    if chain.publisher and chain.publisher != article.publisher:
        named.append(("publisher", chain.publisher))
    missing = [name for _, name in named if name and not name_in_text(name, normalised)]
    flags += [f"{role} not named in article: {name!r}" for role, name in named if name in missing]
    return GroundedClaim(
        claim=claim,
        parties=[
            CanonicalParty(name=p.name, canonical=canonical_name(p.name), role=p.role, standard_name=p.standard_name)
            for p in claim.parties
        ],
        event_date=resolve_event_date(claim.when, article.published),
        truce_began=resolve_event_date(claim.truce_began, article.published),
        evidence=evidence,
        grounding=grounding,
        flags=flags,
        names_not_in_text=missing,
    )


def reask_problems(grounded: list[GroundedClaim]) -> list[dict]:
    problems = []
    for index, item in enumerate(grounded, start=1):
        missing = [e.model_quote for e in item.evidence if e.alignment == "ungrounded"]
        if missing:
            problems.append(
                {
                    "index": index,
                    "kind": item.claim.kind,
                    "reason": "these quotes are not in the article: " + "; ".join(repr(q) for q in missing),
                }
            )
    return problems


def extract_article(
    article: Article,
    client: ModelClient,
    strict: bool = False,
    window_chars: int = DEFAULT_WINDOW_CHARS,
    relevant_only: bool = True,
) -> ArticleExtractionResult:
    """Extract, ground, and re-ask once for claims whose quotes do not align. A long
    article goes in windows (windows.py): every quote is aligned against the whole
    article, and a claim found in two windows is kept once. When one window fails the
    article fails, so that nothing partial is stored and a re-run does it again."""
    result = ArticleExtractionResult(article=article)
    normalised = NormalisedText.of(article.text)
    windows = plan_windows(article.text, window_chars, relevant_only)
    whole = len(windows) == 1 and windows[0].spans == ((0, len(article.text)),)
    found: list[GroundedClaim] = []
    for window in windows:
        messages = extraction_messages(article, None if whole else window.text(article.text))
        claims = _extract_messages(messages, article, normalised, client, result)
        if result.error:
            return result
        found.extend(claims)
    grounded = found if whole else once_each(found)
    if strict:
        kept = [g for g in grounded if g.grounding == "grounded"]
        result.dropped_ungrounded = len(grounded) - len(kept)
        grounded = kept
    result.claims = grounded
    return result


def _extract_messages(
    messages: list[dict[str, str]],
    article: Article,
    normalised: NormalisedText,
    client: ModelClient,
    result: ArticleExtractionResult,
) -> list[GroundedClaim]:
    """One call (and its re-ask) on the whole article or one window; calls and errors go
    into `result`."""
    try:
        first = client.structured(messages, ArticleExtraction, purpose="extract")
    except ModelCallError as exc:
        result.calls += exc.calls
        result.error = str(exc)
        result.unreachable = exc.unreachable
        return []
    result.calls += first.calls
    grounded = [ground_claim(c, article, normalised) for c in first.value.claims]
    problems = reask_problems(grounded)
    if problems:
        reask = messages + [
            {"role": "assistant", "content": first.value.model_dump_json(exclude_none=True)},
            ungrounded_reask_message(problems),
        ]
        grounded = apply_reask(
            result,
            grounded,
            problems,
            lambda: client.structured(reask, ArticleExtraction, purpose="reask_ungrounded"),
            article,
            normalised,
        )
    return grounded


def apply_reask(
    result: ArticleExtractionResult,
    grounded: list[GroundedClaim],
    problems: list[dict],
    ask: Callable[[], StructuredResult],
    article: Article,
    normalised: NormalisedText,
) -> list[GroundedClaim]:
    """The re-ask's answer merged into the claims (`merge_reask`), its calls added to
    `result`; when it fails, the claims stay as they were, flagged with why."""
    try:
        second = ask()
    except ModelCallError as exc:
        result.calls += exc.calls
        for problem in problems:
            grounded[problem["index"] - 1].flags.append(f"re-ask failed: {exc}")
        return grounded
    result.calls += second.calls
    return merge_reask(grounded, problems, second.value.claims, article, normalised)


def once_each(claims: list[GroundedClaim]) -> list[GroundedClaim]:
    """Claims found in two overlapping windows, kept once: the same kind with the same
    evidence (aligned spans, or the same quotes where none aligned). Of the copies, the
    one with the fuller attribution stays: a window that ends on the shared paragraph
    may lack the next one, where the speaker is named."""
    kept: dict[tuple, GroundedClaim] = {}
    for item in claims:
        spans = frozenset((e.start, e.end) for e in item.evidence if e.start is not None)
        quotes = frozenset(" ".join(e.model_quote.split()) for e in item.evidence)
        key = (item.claim.kind, spans or quotes)
        if key not in kept or _attribution_detail(item) > _attribution_detail(kept[key]):
            kept[key] = item
    return list(kept.values())


def _attribution_detail(item: GroundedClaim) -> tuple[int, int, int, int]:
    chain = item.claim.attribution
    return (bool(chain.speaker.name), bool(chain.speaker.description), len(chain.relays), len(item.claim.parties))


def merge_reask(
    grounded: list[GroundedClaim],
    problems: list[dict],
    answer: list[TruceClaim],
    article: Article,
    normalised: NormalisedText,
) -> list[GroundedClaim]:
    """Replace each problem claim by the re-asked claim at the same index of the new
    answer when that one grounds better; otherwise keep the original, flagged."""
    merged = list(grounded)
    rank = {"grounded": 2, "partial": 1, "ungrounded": 0}
    for problem in problems:
        position = problem["index"] - 1
        if position < len(answer):
            candidate = ground_claim(answer[position], article, normalised)
            if rank[candidate.grounding] > rank[merged[position].grounding]:
                merged[position] = candidate
                continue
        merged[position].flags.append("re-asked once; quotes still not found")
    return merged
