"""What Datasette shows about the database: a description of every table and column,
facets, the column that labels a row where another table points at it, and which tables
to hide. The canned queries are in queries.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extractor.browse.queries import CANNED_QUERIES

TITLE = "truce: truce and ceasefire claims"
DESCRIPTION = (
    "Claims about truces and ceasefires extracted from news articles: who offered, agreed, denied or broke "
    "what, said by whom and relayed by which outlet, each pointing at the exact words in its article; "
    "and the pairs of claims that cannot all be true."
)
# Article texts and request bodies are long: tables show their start, a row page all of it.
SETTINGS = {"truncate_cells_html": 500}


@dataclass(frozen=True)
class TableDoc:
    description: str
    columns: dict[str, str]
    facets: tuple[str, ...] = ()
    label_column: str | None = None
    hidden: bool = False
    sort_desc: str | None = None

    def metadata(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"description": self.description, "columns": dict(self.columns)}
        if self.facets:
            doc["facets"] = list(self.facets)
        for key in ("label_column", "sort_desc"):
            if getattr(self, key):
                doc[key] = getattr(self, key)
        if self.hidden:
            doc["hidden"] = True
        return doc


_RUN = "The run (runs.id) that wrote it."
_PROMPT_HASH = "Content hash of the prompt templates that produced it."

TABLES: dict[str, TableDoc] = {
    "articles": TableDoc(
        "One row per article read. Search covers titles and texts.",
        {
            "id": "First 16 hex digits of the SHA-256 of the text: the same text is the same article.",
            "text": "The article text as stored; evidence offsets (start, end) index into it.",
            "title": "Title, from the input or the HTML <title>.",
            "publisher": "The outlet that published the article: the first link of every claim's chain.",
            "url": "Where the article was published, when known.",
            "published": "Publication date (ISO), from the input's metadata or a dateline in the text.",
            "source": "The file (and line, for .jsonl) the article was read from.",
            "metadata": "Other fields the input carried, as JSON.",
            "added_at": "When the article was first stored.",
        },
        facets=("publisher",),
        label_column="title",
    ),
    "claims": TableDoc(
        "One row per truce claim: a statement, by an identifiable or explicitly anonymous source, about a truce "
        "or ceasefire. Search covers summaries, places and speakers.",
        {
            "id": "<article id>-<n>: the n-th claim of the article.",
            "article_id": "The article the claim was read from.",
            "extraction_id": "The extraction (article × model × prompt) that produced it.",
            "kind": "request, offer, agreement, declaration, in_effect, extension, violation, end, rejection, "
            "denial or talks.",
            "summary": "One sentence saying what is claimed, by whom, about whom.",
            "place": "Where the truce applies, as written.",
            "scope": "local, regional, national, organisation-wide or unknown.",
            "event_date": "Date of the event (YYYY, YYYY-MM or YYYY-MM-DD), resolved against the article's date; "
            "empty when the text does not say.",
            "event_date_precision": "day, week, month, year or unknown.",
            "event_date_text": 'The words that give the date, as written ("on Friday").',
            "duration_text": 'The truce\'s duration as written ("one-month", "open-ended").',
            "duration_iso": "The duration as ISO 8601 (P1M) when it is definite.",
            "duration_open_ended": "1 when the truce is said to have no end date.",
            "duration_bound": "exact, at_least, at_most, until_event or none.",
            "conditions": "Conditions attached to the truce, as a JSON list of sentences.",
            "terms": "The points of the truce, as a JSON list.",
            "factuality": 'asserted, reported, hedged ("reportedly") or negated.',
            "grounding": "grounded (every quote found in the article), partial or ungrounded.",
            "flags": "Warnings, as a JSON list: quotes or names not found in the article, re-asks.",
            "publisher": "The article's publisher.",
            "speaker": "Who said it: the last link of the attribution chain.",
            "model": "The model that extracted the claim.",
            "prompt_hash": _PROMPT_HASH,
            "created_at": "When the claim was stored.",
            "truce_began_text": "When the truce the claim speaks of began, as written.",
            "truce_began_date": "That start, resolved against the article's date (ISO).",
            "truce_began_precision": "day, week, month, year or unknown.",
        },
        facets=("kind", "factuality", "grounding", "publisher"),
        label_column="summary",
    ),
    "parties": TableDoc(
        "The sides a claim names, one row per party and claim.",
        {
            "id": "Row id.",
            "claim_id": "The claim that names the party.",
            "position": "Order within the claim, from 0.",
            "name": "The party as the article names it.",
            "canonical": "Canonical name from parties.toml (ISIS for IS, ISIL, Daesh), or the name as written.",
            "role": "proposer (asks or offers), recipient (asked or offered to), party (a side to the truce) "
            "or mediator.",
            "entity_id": "The entity (entities.id) the name resolves to.",
            "standard_name": "The model's standard full name for the party, when it gave one.",
        },
        facets=("role", "entity_id"),
    ),
    "attributions": TableDoc(
        "Each claim's attribution chain, from the outside in: the publisher, the outlets it relays, the speaker.",
        {
            "id": "Row id.",
            "claim_id": "The claim.",
            "position": "Place in the chain: 0 is the publisher, the speaker comes last.",
            "role": "publisher, relay (an outlet the article cites) or speaker.",
            "name": "Name as written; empty for an anonymous speaker.",
            "title": 'The speaker\'s title or role as written ("spokesman").',
            "affiliation": "The organisation the speaker belongs to.",
            "anonymous": '1 for an unnamed source ("a Peshmerga official"): anonymous, not missing.',
            "description": "How the article refers to an unnamed speaker.",
            "channel": "Where it was said or carried: TV interview, statement, Twitter, news agency ...",
            "named_in_text": "0 when the name was not found in the article.",
        },
        facets=("role", "channel", "anonymous"),
    ),
    "evidence": TableDoc(
        "The quotes each claim rests on, located in the article. Search covers the quotes.",
        {
            "id": "Row id.",
            "claim_id": "The claim the quote supports.",
            "position": "Order within the claim, from 0.",
            "quote": "The words in the article: articles.text[start:end] when aligned.",
            "model_quote": "The quote as the model wrote it.",
            "start": "Character offset where the quote starts in articles.text; empty when not found.",
            "end": "Character offset where it ends (exclusive).",
            "alignment": "exact, normalised (quotes, dashes, whitespace, case), fuzzy or ungrounded.",
            "score": "Alignment score, 0 to 100.",
        },
        facets=("alignment",),
    ),
    "conflicts": TableDoc(
        "Pairs of claims that cannot all be true, found by the cross-check.",
        {
            "id": "Row id.",
            "claim_a": "The first claim (the smaller id).",
            "claim_b": "The second claim.",
            "type": "existence, status, terms, scope or retraction.",
            "severity": "high, medium or partial (only partly contradictory).",
            "reason": "Why the two claims conflict, in one sentence.",
            "method": 'How it was found: "rule: <rule>" or "model: <model>".',
            "run_id": _RUN,
            "created_at": "When it was found.",
        },
        facets=("type", "severity"),
    ),
    "adjudications": TableDoc(
        "A model's verdicts on the pairs of claims the conflict rules left ambiguous; each pair is asked once "
        "per model and prompt.",
        {
            "id": "Row id.",
            "claim_a": "The first claim.",
            "claim_b": "The second claim.",
            "verdict": "contradicts, consistent, refines or unrelated.",
            "conflict_type": "The type of conflict, when the verdict is contradicts.",
            "reason": "The model's reason, in one sentence.",
            "ambiguity": "Why the rules could not decide.",
            "model": "The model asked.",
            "prompt_hash": _PROMPT_HASH,
            "run_id": _RUN,
            "created_at": "When the verdict was stored.",
        },
        facets=("verdict",),
    ),
    "entities": TableDoc(
        "The entities party names resolve to, rebuilt by every cross-check.",
        {
            "id": "Slug of the name.",
            "name": "The entity's name.",
            "kind": "state, armed group, organisation or unknown.",
            "aliases": "The names as written that resolve to it, most used first (JSON list).",
            "mentions": "How many party rows name it.",
            "side": "What the cross-check blocks on: a parties.toml group, or the entity.",
            "evidence": "Why its names were merged (JSON list).",
        },
        facets=("kind",),
        label_column="name",
        sort_desc="mentions",
    ),
    "entity_decisions": TableDoc(
        "The analyst's merges and splits (truce entities merge / split), applied on every resolution.",
        {
            "id": "Row id.",
            "action": "merge or split.",
            "name": "The name (or entity id) decided on.",
            "other": "For a merge: the second name.",
            "created_at": "When the decision was recorded.",
        },
    ),
    "runs": TableDoc(
        "Every extract, cross-check and demo run.",
        {
            "id": "Row id.",
            "command": "The command that ran.",
            "model": "The model it used.",
            "base_url": "The model endpoint (no credentials).",
            "mode": "How the answer's structure was asked for: tools, json_schema or json_object.",
            "prompt_hash": _PROMPT_HASH,
            "started_at": "When it started.",
            "finished_at": "When it finished.",
            "status": "running, completed or interrupted.",
            "articles_extracted": "Articles extracted.",
            "articles_skipped": "Articles skipped: already extracted with this model and prompt.",
            "articles_failed": "Articles that failed.",
            "input_tokens": "Prompt tokens, all calls.",
            "output_tokens": "Answer tokens, all calls.",
            "errors": "JSON list of {source, error}.",
            "pid": "The process that ran it, so a run killed outright can be marked interrupted.",
            "host": "The machine it ran on.",
            "cached_tokens": "Of input_tokens, those the server served from its prefix cache.",
            "cost_usd": "What the run cost in US dollars; empty when the model has no price.",
            "price_in": "US dollars charged per million input tokens.",
            "price_cached_in": "US dollars charged per million cached input tokens.",
            "price_out": "US dollars charged per million output tokens.",
            "price_source": "Where the prices came from: table, override or unknown; empty when not priced.",
            "price_batch": "1 when the batch discount applied.",
        },
        facets=("command", "status"),
        label_column="command",
        sort_desc="id",
    ),
    "extractions": TableDoc(
        "One row per article and run that extracted it.",
        {
            "id": "Row id.",
            "article_id": "The article.",
            "run_id": _RUN,
            "model": "The model.",
            "prompt_hash": _PROMPT_HASH,
            "status": "ok, failed, or superseded (by a later extraction of the article).",
            "error": "Why it failed.",
            "claims_count": "Claims stored.",
            "ungrounded_count": "Claims stored whose quotes did not all align.",
            "dropped_ungrounded": "Ungrounded claims dropped by --strict.",
            "input_tokens": "Prompt tokens.",
            "output_tokens": "Answer tokens.",
            "finished_at": "When it finished.",
        },
        facets=("status", "model"),
    ),
    "model_calls": TableDoc(
        "Every HTTP attempt at the model, with its request (never the API key), answer, tokens and timing.",
        {
            "id": "Row id.",
            "run_id": _RUN,
            "article_id": "The article the call was about.",
            "purpose": "extract, reask_ungrounded or adjudicate.",
            "model": "The model called.",
            "attempt": "Attempt number for this request.",
            "status": "ok, invalid_output or http_error.",
            "error": "What went wrong.",
            "request_json": 'The request, with "@part:<hash>" and "@article:<id>" for what is stored once '
            "(model_call_requests puts them back).",
            "response_json": "The answer.",
            "input_tokens": "Prompt tokens.",
            "output_tokens": "Answer tokens.",
            "duration_ms": "How long the attempt took.",
            "started_at": "When it started.",
            "parts": "JSON list of the prompt_parts hashes the request uses.",
            "cached_tokens": "Prompt tokens the server served from its prefix cache, where it says so.",
        },
        facets=("purpose", "status"),
    ),
    "model_call_requests": TableDoc(
        "Every request exactly as it was sent: model_calls.request_json with its parts and article put back.",
        {
            "id": "The model call (model_calls.id).",
            "run_id": _RUN,
            "article_id": "The article the call was about.",
            "purpose": "extract, reask_ungrounded or adjudicate.",
            "request_json": "The request body as sent.",
        },
    ),
    "batch_requests": TableDoc(
        "Every request truce batch prepare wrote, so that truce batch ingest maps each result back to its "
        "article, window, model and prompt.",
        {
            "custom_id": "The request's id in the batch file: <article id>-<purpose>[-w<window>]-<body hash>.",
            "article_id": "The article.",
            "purpose": "extract or reask_ungrounded.",
            "model": "The model asked.",
            "mode": "tools, json_schema or json_object.",
            "max_tokens": "Cap on the answer's length.",
            "prompt_hash": _PROMPT_HASH,
            "body_hash": "SHA-256 of the request body as written.",
            "prepare_run_id": "The run that prepared the request.",
            "window": "Which window of a long article it carries, from 0.",
            "excerpt_spans": "JSON [[start, end], ...]: the parts of a long article the window holds; empty: all "
            "of it.",
            "status": "prepared, answered, ingested or failed.",
            "result_json": "Its result line, kept while the article's other windows wait.",
            "answer_json": "The answer, kept when its quotes do not all align.",
            "reasks_extraction_id": "For a re-ask: the extraction whose claims it asks again.",
            "extraction_id": "The extraction its answer became.",
            "ingest_run_id": "The run that ingested the result.",
            "prepared_at": "When it was prepared.",
            "ingested_at": "When its result was ingested.",
        },
        facets=("status", "purpose"),
    ),
    "prompt_parts": TableDoc(
        "What every model call repeats (the system message, the JSON schema), stored once.",
        {"hash": "First 16 hex digits of the SHA-256 of json.", "json": "The JSON value exactly as sent."},
        hidden=True,
    ),
    "eval_runs": TableDoc(
        "Every truce eval run: what was scored, with what, and the scores.",
        {
            "id": "Row id.",
            "suite": "Suite folder name.",
            "suite_path": "Where the suite was read from.",
            "mode": "replay, live or crosscheck-only.",
            "recording": "The recording replayed (or recorded, live).",
            "model": "The model.",
            "prompt_hash": _PROMPT_HASH,
            "started_at": "When it started.",
            "seconds": "How long it took.",
            "passed": "1 when every threshold held; empty when none apply.",
            "scores": "The JSON summary truce eval --json prints.",
            "threshold_failures": "JSON list of the thresholds that failed.",
        },
        facets=("suite", "mode", "passed"),
        label_column="suite",
        sort_desc="id",
    ),
    "eval_items": TableDoc(
        "Every matched, missed, false or wrong item behind an eval run's scores.",
        {
            "id": "Row id.",
            "eval_run_id": "The eval run.",
            "category": "claim, conflict, hard_negative, no_claim_span, field, entity or article.",
            "outcome": "matched, missed, false, wrong, flagged, hit or failed.",
            "label": "Claim kind, conflict type or field name.",
            "gold": "The gold item: <article stem>#<claim id>, or a pair.",
            "predicted": "The claim id, or pair of claim ids, it was matched with.",
            "detail": "What differed.",
        },
        facets=("category", "outcome", "label"),
    ),
    "_sqlite_migrations": TableDoc(
        "The schema migrations applied to this database (sqlite-utils).",
        {
            "id": "Row id.",
            "migration_set": "Always truce.",
            "name": "The migration.",
            "applied_at": "When it was applied.",
        },
        hidden=True,
    ),
}


def datasette_metadata(database: str) -> dict[str, Any]:
    """Datasette's metadata for a truce database served under the name `database`
    (Datasette names a database after its file's stem)."""
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "databases": {
            database: {
                "description": DESCRIPTION,
                "tables": {name: doc.metadata() for name, doc in TABLES.items()},
                "queries": {name: dict(query) for name, query in CANNED_QUERIES.items()},
            }
        },
    }
