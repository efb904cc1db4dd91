"""`truce batch prepare`: a batch input file with one request per article to extract
(skipping what is done, as `truce extract` does; a long article gets one request per
window, as live), or one re-ask per window whose ingested claims have quotes that do
not align. What an earlier batch file asks and is not yet ingested is not written again
(it would be paid for twice), unless forced.

The articles are stored in the database here, and each request in `batch_requests`,
so that `truce batch ingest` needs only the results file and this database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from sqlite_utils import Database

from extractor.batch import ledger
from extractor.batch.calls import EXTRACT, REASK, RequestCapture, batch_settings, messages_for, reask_state
from extractor.batch.jsonl import BatchFileError, BatchRequestLine, body_hash, custom_id, write_requests
from extractor.batch.ledger import BatchRequest
from extractor.extraction.extract import ArticleExtractionResult
from extractor.extraction.prompts import extraction_prompt_hash
from extractor.extraction.windows import DEFAULT_WINDOW_CHARS, plan_windows
from extractor.read import Article, ReadFailure
from extractor.storage import store


@dataclass
class PrepareReport:
    run_id: int
    written: int = 0  # request lines
    articles: int = 0  # articles they ask about
    skipped: int = 0  # already extracted with this model and prompt
    outstanding: int = 0  # articles whose requests are in an earlier batch file, not yet ingested
    no_truce: int = 0  # long articles with no passage about a truce: stored with no claims, no request
    failures: list[ReadFailure] = field(default_factory=list)  # unreadable inputs
    problems: list[str] = field(default_factory=list)  # re-asks that cannot be written
    models: list[str] = field(default_factory=list)


def prepare_batch(
    db: Database,
    items: Iterable[Article | ReadFailure],
    out: Path,
    model: str,
    mode: str = "tools",
    max_tokens: int | None = None,
    force: bool = False,
    window_chars: int = DEFAULT_WINDOW_CHARS,
    relevant_only: bool = True,
) -> PrepareReport:
    """Write the extraction requests of every article not yet extracted with this model
    and prompt, nor asked about with this model, mode and prompt in a batch not yet
    ingested (every article with `force`)."""
    prompt_hash = extraction_prompt_hash()
    outstanding = set() if force else ledger.outstanding_articles(db, model, mode, prompt_hash)
    run_id = store.start_run(db, "batch prepare", model, None, mode, prompt_hash)
    report = PrepareReport(run_id=run_id, models=[model])
    capture = RequestCapture(batch_settings(model, mode, max_tokens))
    seen: set[str] = set()

    def lines() -> Iterator[BatchRequestLine]:
        for item in items:
            if isinstance(item, ReadFailure):
                report.failures.append(item)
                continue
            if item.id in seen or (not force and store.is_extracted(db, item.id, model, prompt_hash)):
                report.skipped += 1
                continue
            seen.add(item.id)
            if item.id in outstanding:
                report.outstanding += 1
                continue
            windows = plan_windows(item.text, window_chars, relevant_only)
            if not windows:  # as live: no call, no claims
                report.no_truce += 1
                store.save_extraction(db, run_id, ArticleExtractionResult(article=item), model, prompt_hash)
                continue
            whole = len(windows) == 1 and windows[0].spans == ((0, len(item.text)),)
            requests, written = [], []
            for number, window in enumerate(windows):
                spans = None if whole else json.dumps([list(span) for span in window.spans])
                excerpts = None if whole else window.text(item.text)
                body, _ = capture.request(messages_for(EXTRACT, item, excerpts), EXTRACT)
                fingerprint = body_hash(body)
                request = BatchRequest(
                    custom_id=custom_id(item.id, EXTRACT, fingerprint, None if whole else number),
                    article_id=item.id,
                    purpose=EXTRACT,
                    model=model,
                    mode=mode,
                    max_tokens=max_tokens,
                    prompt_hash=prompt_hash,
                    body_hash=fingerprint,
                    prepare_run_id=run_id,
                    window=number,
                    excerpt_spans=spans,
                )
                requests.append(request)
                written.append(BatchRequestLine(custom_id=request.custom_id, body=body))
            with store.transaction(db):
                store.save_article(db, item)
                for request in requests:
                    ledger.record_prepared(db, request)
            report.articles += 1
            yield from written

    _write(db, out, lines(), report)
    return report


def prepare_reask(db: Database, out: Path, model: str | None = None, force: bool = False) -> PrepareReport:
    """Write the re-ask of every ingested answer whose quotes did not all align, with
    the messages a live run's re-ask sends, to the model that gave the answer; not
    those already in a batch not yet ingested, unless `force`."""
    awaiting = [r for r in ledger.awaiting_reask(db) if model is None or r.model == model]
    outstanding = set() if force else ledger.outstanding_reasks(db)
    models = sorted({r.model for r in awaiting})
    if len(models) > 1:
        raise BatchFileError(
            f"Re-asks await answers of several models ({', '.join(models)}), and a batch goes to one "
            "model: pass --model."
        )
    prompt_hash = extraction_prompt_hash()
    run_id = store.start_run(db, "batch prepare", models[0] if models else model, None, None, prompt_hash)
    report = PrepareReport(run_id=run_id, models=models)
    captures: dict[tuple, RequestCapture] = {}

    def lines() -> Iterator[BatchRequestLine]:
        for article_id, answers in groupby(awaiting, key=lambda r: r.article_id):
            answers = list(answers)
            if any(first.extraction_id in outstanding for first in answers):
                report.outstanding += 1
                continue
            if any(first.prompt_hash != prompt_hash for first in answers):
                report.problems.append(
                    f"article {article_id}: its answer was to another prompt ({answers[0].prompt_hash}, now "
                    f"{prompt_hash}); prepare it again with --force"
                )
                continue
            article = ledger.stored_article(db, article_id)
            requests, written = [], []
            for first in answers:
                if not reask_state(article, first.answer_json or "{}")[1]:
                    continue  # a window whose quotes all align
                key = (first.model, first.mode, first.max_tokens)
                if key not in captures:
                    captures[key] = RequestCapture(batch_settings(*key))
                messages = messages_for(REASK, article, first.excerpts(article), first.answer_json)
                body, _ = captures[key].request(messages, REASK)
                fingerprint = body_hash(body)
                request = BatchRequest(
                    custom_id=custom_id(article_id, REASK, fingerprint, first.window if first.excerpt_spans else None),
                    article_id=article_id,
                    purpose=REASK,
                    model=first.model,
                    mode=first.mode,
                    max_tokens=first.max_tokens,
                    prompt_hash=first.prompt_hash,
                    body_hash=fingerprint,
                    prepare_run_id=run_id,
                    window=first.window,
                    excerpt_spans=first.excerpt_spans,
                    answer_json=first.answer_json,
                    reasks_extraction_id=first.extraction_id,
                )
                requests.append(request)
                written.append(BatchRequestLine(custom_id=request.custom_id, body=body))
            with store.transaction(db):
                for request in requests:
                    ledger.record_prepared(db, request)
            report.articles += bool(requests)
            yield from written

    _write(db, out, lines(), report)
    return report


def _write(db: Database, out: Path, lines: Iterator[BatchRequestLine], report: PrepareReport) -> None:
    status = "failed"
    try:
        report.written = write_requests(out, lines)
        status = "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        totals = store.RunTotals(
            extracted=report.no_truce, skipped=report.skipped + report.outstanding, failed=len(report.failures)
        )
        errors = [{"source": f.source, "error": f.reason} for f in report.failures]
        errors += [{"source": "re-ask", "error": problem} for problem in report.problems]
        store.finish_run(db, report.run_id, totals, errors, status)
