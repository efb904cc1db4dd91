"""Optional model adjudication of the pairs the conflict rules leave ambiguous.

The verdict is schema-constrained (contradicts, consistent, refines, unrelated, with a
reason). Verdicts are kept in `adjudications`, so a pair is asked once per model and
prompt; a "contradicts" verdict becomes a conflict whose method names the model.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import Field
from sqlite_utils import Database

from extractor.errors import ModelCallError
from extractor.extraction.model import ModelClient
from extractor.extraction.prompts import content_hash, render
from extractor.extraction.schema import CachedSchema
from extractor.storage import store

ADJUDICATE_TEMPLATES = ["adjudicate/system.j2", "adjudicate/user.j2"]


class Verdict(CachedSchema):
    verdict: Literal["contradicts", "consistent", "refines", "unrelated"] = Field(
        description="contradicts: both cannot be true of the same truce; consistent: both can be true; "
        "refines: one states the other more precisely; unrelated: different truces."
    )
    conflict_type: Literal["existence", "status", "terms", "scope", "retraction"] | None = Field(
        default=None, description="The kind of contradiction, only when verdict is contradicts."
    )
    reason: str = Field(description="One sentence explaining the verdict.")


def adjudication_prompt_hash() -> str:
    return content_hash(ADJUDICATE_TEMPLATES, Verdict, with_examples=False)


def adjudication_messages(claim_a: dict, claim_b: dict, ambiguity: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": render("adjudicate/system.j2")},
        {"role": "user", "content": render("adjudicate/user.j2", claims=[claim_a, claim_b], ambiguity=ambiguity)},
    ]


def adjudicate_pairs(
    db: Database, pairs: list[tuple[str, str, str]], client: ModelClient, run_id: int, concurrency: int = 4
) -> tuple[int, list[str]]:
    """Ask the model about (claim_a, claim_b, ambiguity) pairs not yet judged by this
    model and prompt. Returns how many were asked and the errors."""
    model, prompt_hash = client.settings.model, adjudication_prompt_hash()
    judged = {
        (a, b)
        for a, b in db.execute(
            "SELECT claim_a, claim_b FROM adjudications WHERE model = ? AND prompt_hash = ?", [model, prompt_hash]
        )
    }
    todo = [p for p in pairs if (p[0], p[1]) not in judged]

    # Claims are read on this thread; only the model calls run in workers.
    prepared = [(p, adjudication_messages(store.get_claim(db, p[0]), store.get_claim(db, p[1]), p[2])) for p in todo]

    def call(item):
        pair, messages = item
        try:
            return pair, client.structured(messages, Verdict, purpose="adjudicate"), None
        except ModelCallError as exc:
            return pair, None, exc

    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=max(concurrency, 1)) as pool:
        results = list(pool.map(call, prepared))
    for (a, b, ambiguity), result, error in results:
        with store.transaction(db):
            if error is not None:
                store.log_calls(db, run_id, error.calls)
                errors.append(f"{a} / {b}: {error}")
                continue
            store.log_calls(db, run_id, result.calls)
            verdict: Verdict = result.value
            db["adjudications"].insert(
                {
                    "claim_a": a,
                    "claim_b": b,
                    "verdict": verdict.verdict,
                    "conflict_type": verdict.conflict_type,
                    "reason": verdict.reason,
                    "ambiguity": ambiguity,
                    "model": model,
                    "prompt_hash": prompt_hash,
                    "run_id": run_id,
                    "created_at": store.now(),
                }
            )
            if verdict.verdict == "contradicts":
                db.execute(
                    "INSERT OR IGNORE INTO conflicts (claim_a, claim_b, type, severity, reason, method, run_id, "
                    "created_at) VALUES (?, ?, ?, 'medium', ?, ?, ?, ?)",
                    [
                        a,
                        b,
                        verdict.conflict_type or "existence",
                        verdict.reason,
                        f"model: {model}",
                        run_id,
                        store.now(),
                    ],
                )
    return len(todo), errors
