"""A run over many articles: read → skip what is done → extract (N in flight) → store.

Model calls run in worker threads; every database write happens on the calling thread,
one transaction per article, so a run that is interrupted can simply be run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sqlite_utils import Database

from extractor import store
from extractor.extract import ArticleExtractionResult, extract_article
from extractor.model import ModelClient
from extractor.prompts import extraction_prompt_hash
from extractor.read import Article, ReadFailure


@dataclass
class Event:
    """What the pipeline reports as it goes: read_failed, skipped, extracted, failed."""

    kind: str
    source: str
    detail: str = ""
    article_id: str | None = None
    claims: int = 0


@dataclass
class RunReport:
    run_id: int
    totals: store.RunTotals
    errors: list[dict] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    interrupted: bool = False


def run_extraction(
    db: Database,
    items: Iterable[Article | ReadFailure],
    client: ModelClient,
    *,
    concurrency: int = 8,
    force: bool = False,
    strict: bool = False,
    command: str = "extract",
    on_event: Callable[[Event], None] = lambda event: None,
) -> RunReport:
    settings = client.settings
    prompt_hash = extraction_prompt_hash()
    run_id = store.start_run(db, command, settings.model, settings.base_url, settings.mode, prompt_hash)
    report = RunReport(run_id=run_id, totals=store.RunTotals())

    def record(result: ArticleExtractionResult) -> None:
        store.save_extraction(db, run_id, result, settings.model, prompt_hash)
        totals = report.totals
        totals.input_tokens += result.input_tokens
        totals.output_tokens += result.output_tokens
        source = result.article.source
        if result.error:
            totals.failed += 1
            report.errors.append({"source": source, "error": result.error})
            on_event(Event("failed", source, result.error, result.article.id))
        else:
            totals.extracted += 1
            report.article_ids.append(result.article.id)
            on_event(Event("extracted", source, article_id=result.article.id, claims=len(result.claims)))

    pending: dict[Future[ArticleExtractionResult], Article] = {}
    seen: set[str] = set()  # article ids met in this run

    def drain(block_until_below: int) -> None:
        while len(pending) >= max(block_until_below, 1):
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                article = pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # a bug must cost one article, not the run
                    result = ArticleExtractionResult(article, error=f"internal error: {type(exc).__name__}: {exc}")
                record(result)

    executor = ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="truce-model")
    status = "failed"
    try:
        for item in items:
            if isinstance(item, ReadFailure):
                report.totals.failed += 1
                report.errors.append({"source": item.source, "error": item.reason})
                on_event(Event("read_failed", item.source, item.reason))
                continue
            duplicate = item.id in seen  # the same text twice in one run
            if duplicate or (not force and store.is_extracted(db, item.id, settings.model, prompt_hash)):
                report.totals.skipped += 1
                on_event(Event("skipped", item.source, "already extracted with this model and prompt", item.id))
                continue
            seen.add(item.id)
            pending[executor.submit(extract_article, item, client, strict)] = item
            drain(block_until_below=concurrency * 2)
        drain(block_until_below=1)
        status = "completed"
    except KeyboardInterrupt:
        report.interrupted, status = True, "interrupted"
        raise
    finally:
        executor.shutdown(wait=not report.interrupted, cancel_futures=True)
        store.finish_run(db, run_id, report.totals, report.errors, status)
    return report
