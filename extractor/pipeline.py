"""A run over many articles: read → skip what is done → extract (N in flight) → store.

Model calls run in worker threads (or worker processes); every database write happens on
the calling thread, each article whole in one transaction (the articles that finish
together share one), so a run that is interrupted can simply be run again.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlite_utils import Database

from extractor.extraction.cost import RunCost, price_override, run_cost
from extractor.extraction.extract import ArticleExtractionResult, extract_article
from extractor.extraction.model import ModelClient
from extractor.extraction.processes import WorkerPool
from extractor.extraction.prompts import extraction_prompt_hash
from extractor.extraction.windows import DEFAULT_WINDOW_CHARS
from extractor.read import Article, ReadFailure
from extractor.storage import store


@dataclass
class Event:
    """What the pipeline reports as it goes: read_failed, skipped, extracted, failed."""

    kind: str
    source: str
    detail: str = ""
    article_id: str | None = None
    claims: int = 0


UNREACHABLE_STOP = 3  # consecutive "cannot connect" failures, with no success yet, that end a run


PROCESSES_FROM = 32  # calls in flight from which the calls go to worker processes by default
CALLS_PER_PROCESS = 16


def usable_cores() -> int:
    """The cores this process may run on: `taskset` or a container's cpuset may allow
    fewer than the machine has (`os.cpu_count`). A CPU quota (`docker --cpus`) is not
    seen here; `--processes` sets the number by hand."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_processes(concurrency: int) -> int:
    """One process up to 31 calls in flight. From 32, on Linux (where worker processes
    are forked) with two cores or more: one worker process per 16 calls in flight, at
    most two per core. A process's threads wait on each other for the GIL, and fewer
    wait less: at 64 calls in flight on two cores, four processes reached 0.91 of the
    ideal throughput where two reached 0.88 (issue 9)."""
    cores = usable_cores()
    if concurrency < PROCESSES_FROM or cores < 2 or not sys.platform.startswith("linux"):
        return 1
    return min(concurrency // CALLS_PER_PROCESS, 2 * cores)


@dataclass
class RunReport:
    run_id: int
    totals: store.RunTotals
    errors: list[dict] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    interrupted: bool = False
    stopped: str | None = None  # why the run stopped early, e.g. the endpoint is down
    cost: RunCost | None = None


def run_extraction(
    db: Database,
    items: Iterable[Article | ReadFailure],
    client: ModelClient,
    *,
    concurrency: int = 8,
    force: bool = False,
    strict: bool = False,
    command: str = "extract",
    overridden: tuple[str, ...] = (),
    price_in: float | None = None,
    price_out: float | None = None,
    window_chars: int = DEFAULT_WINDOW_CHARS,
    relevant_only: bool = True,
    processes: int = 1,
    on_event: Callable[[Event], None] = lambda event: None,
) -> RunReport:
    """Extract every article not done yet with this model and prompt. `overridden` names
    the metadata the user set (--publisher ...): applied to skipped articles too.
    `price_in`/`price_out` (US dollars per million tokens) price the run in place of the
    price table. Articles longer than `window_chars` go in windows, with only their truce
    passages when `relevant_only` (extraction/windows.py). With `processes` > 1 the calls
    run in that many forked worker processes (extraction/processes.py), `concurrency`
    calls in flight in all; results are stored here all the same."""
    settings = client.settings
    price_override(price_in, price_out)  # a half-given override fails before any call
    prompt_hash = extraction_prompt_hash()
    run_id = store.start_run(db, command, settings.model, settings.base_url, settings.mode, prompt_hash)
    report = RunReport(run_id=run_id, totals=store.RunTotals())

    def record(result: ArticleExtractionResult) -> None:
        """Count a stored result and say so: only once its transaction has committed."""
        totals = report.totals
        totals.input_tokens += result.input_tokens
        totals.cached_tokens += sum(call.cached_tokens or 0 for call in result.calls)
        totals.output_tokens += result.output_tokens
        source = result.article.source
        unreachable_streak[0] = unreachable_streak[0] + 1 if result.unreachable else 0
        if result.error:
            totals.failed += 1
            report.errors.append({"source": source, "error": result.error})
            on_event(Event("failed", source, result.error, result.article.id))
        else:
            totals.extracted += 1
            report.article_ids.append(result.article.id)
            on_event(Event("extracted", source, article_id=result.article.id, claims=len(result.claims)))

    pending: dict[Future[ArticleExtractionResult], Article] = {}
    # Futures as they finish, put there by their own callback: taking them from a queue
    # costs the same however many are pending, where `concurrent.futures.wait` locks
    # and unlocks every pending future on each call (128 at C = 64, issue 9).
    finished: queue.SimpleQueue[Future[ArticleExtractionResult]] = queue.SimpleQueue()
    seen: set[str] = set()  # article ids met in this run
    unreachable_streak = [0]

    def endpoint_down() -> bool:
        """Fail fast: the endpoint refused every connection and nothing has succeeded."""
        return unreachable_streak[0] >= UNREACHABLE_STOP and report.totals.extracted == 0

    def drain(block_until_below: int) -> None:
        while len(pending) >= max(block_until_below, 1):
            done = [finished.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    done.append(finished.get_nowait())
            done = [future for future in done if future in pending]  # not those cancelled
            if not done:
                continue
            # The articles finished together are stored in one transaction (one commit
            # instead of one each, issue 9): each is whole or absent, so resume is as exact.
            results = []
            with store.transaction(db):
                for future in done:
                    article = pending.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:  # a bug must cost one article, not the run
                        error = f"internal error: {type(exc).__name__}: {exc}"
                        result = ArticleExtractionResult(article, error=error)
                    store.save_extraction(db, run_id, result, settings.model, prompt_hash)
                    results.append(result)
            for result in results:
                record(result)

    options = (strict, window_chars, relevant_only)
    executors: list[ThreadPoolExecutor | WorkerPool] = []  # made for the first article to extract

    def submit(item: Article) -> Future[ArticleExtractionResult]:
        if not executors:
            if min(processes, concurrency) > 1:  # never more processes than calls in flight
                client.prepare()  # the workers fork with the SDK's modules loaded, not each loading them
                executors.append(WorkerPool(settings, options, processes, concurrency))
            else:
                executors.append(ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="truce-model"))
        executor = executors[0]
        if isinstance(executor, WorkerPool):
            return executor.submit(item)
        return executor.submit(extract_article, item, client, *options)

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
                if overridden and not duplicate:
                    store.apply_overrides(db, item, overridden)
                continue
            if endpoint_down():
                break
            seen.add(item.id)
            future = submit(item)
            pending[future] = item
            future.add_done_callback(finished.put)
            drain(block_until_below=concurrency * 2)
        if endpoint_down():  # calls not started are dropped, not recorded: a re-run tries them
            for future in [f for f in pending if f.cancel()]:
                pending.pop(future)
        drain(block_until_below=1)
        status = "completed"
        if endpoint_down():
            endpoint = store.without_credentials(settings.base_url) or "of OpenAI"
            report.stopped = (
                f"Stopped: the model endpoint {endpoint} cannot be reached "
                f"({UNREACHABLE_STOP} connections in a row failed). The articles not tried are not "
                "marked failed; run the same command again once the server is up."
            )
            status = "failed"
    except KeyboardInterrupt:
        report.interrupted, status = True, "interrupted"
        raise
    finally:
        for executor in executors:
            executor.shutdown(wait=not report.interrupted, cancel_futures=True)
        totals = report.totals
        report.cost = run_cost(
            settings.model,
            totals.input_tokens,
            totals.cached_tokens,
            totals.output_tokens,
            price_in=price_in,
            price_out=price_out,
            base_url=settings.base_url,
        )
        store.finish_run(db, run_id, totals, report.errors, status, report.cost)
    return report
