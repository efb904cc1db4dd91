"""`truce extract`: articles in, claims stored, cross-checked at the end."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from extractor.commands.options import (
    db_option,
    err,
    interrupted,
    model_options,
    print_crosscheck,
    window_options,
)
from extractor.crosscheck.run import run_crosscheck
from extractor.errors import ConfigError, TruceError
from extractor.extraction.cost import price_override
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.pipeline import Event, RunReport, default_processes, run_extraction
from extractor.read import DEFAULT_MAX_CHARS, Article, ReadFailure, expand_paths, read_articles
from extractor.storage import store


def progress_reporter(total: int, silent: bool) -> tuple[Progress | None, Callable[[Event], None]]:
    show_bar = not silent and sys.stderr.isatty()
    progress = (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        if show_bar
        else None
    )
    task = progress.add_task("extracting", total=total) if progress else None

    def on_event(event: Event) -> None:
        # The bar (and its refresh thread) starts with the first article extracted or
        # failed, after the pipeline has forked its worker processes: a fork copies no
        # thread, but would copy a lock that thread held.
        if progress is not None and task is not None:
            if not progress.live.is_started and event.kind in ("extracted", "failed"):
                progress.start()
            progress.advance(task)
        if event.kind in ("failed", "read_failed"):
            err.print(Text.assemble(("failed", "red"), f" {event.source}: {event.detail}"))
        elif not silent and event.kind == "skipped":
            err.print(Text(f"skipped {event.source}: {event.detail} (use --force to redo)"))

    return progress, on_event


def run_summary(report: RunReport, db_path: str, price_hint: bool = True) -> str:
    t = report.totals
    cached = f" ({t.cached_tokens} cached)" if t.cached_tokens else ""
    cost = f"; {report.cost.describe(hint=price_hint)}" if report.cost else ""
    return (
        f"Extracted {t.extracted} article(s), skipped {t.skipped}, failed {t.failed}; "
        f"{t.input_tokens} input{cached} / {t.output_tokens} output tokens{cost}. Database: {db_path}"
    )


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option()
@model_options
@click.option("--force", is_flag=True, help="Extract again even if done with this model and prompt.")
@click.option("--strict", is_flag=True, help="Drop claims whose quotes do not all align, instead of flagging them.")
@click.option("--no-crosscheck", is_flag=True, help="Do not cross-check the new claims at the end.")
@click.option("--adjudicate", is_flag=True, help="Send the pairs the conflict rules leave ambiguous to the model.")
@click.option("--title", help="Override the article title.")
@click.option("--publisher", help="Override the publisher.")
@click.option("--url", help="Override the article URL.")
@click.option("--published", help="Override the publication date (YYYY-MM-DD).")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the input files.")
@click.option("--max-chars", default=DEFAULT_MAX_CHARS, show_default=True, help="Refuse longer articles.")
@window_options
@click.option(
    "--processes",
    type=click.IntRange(1, 16),
    help="Worker processes making the calls (default 1; from 32 calls in flight one per 16, at most two per core).",
)
@click.option("--max-tokens", type=click.IntRange(1), help="Cap on each answer's length (small local models).")
@click.option(
    "--price-in",
    type=click.FloatRange(0),
    metavar="USD",
    help="US dollars per million input tokens, in place of the price table; cached input is charged the same.",
)
@click.option(
    "--price-out",
    type=click.FloatRange(0),
    metavar="USD",
    help="US dollars per million output tokens (with --price-in).",
)
@click.option("--silent", is_flag=True, help="No progress bar or skip messages.")
def extract(
    paths,
    db_path,
    model,
    base_url,
    api_key,
    mode,
    timeout,
    retries,
    concurrency,
    force,
    strict,
    no_crosscheck,
    adjudicate,
    title,
    publisher,
    url,
    published,
    encoding,
    max_chars,
    window_chars,
    processes,
    no_filter,
    max_tokens,
    price_in,
    price_out,
    silent,
) -> None:
    """Extract truce claims from articles (.txt, .md, .html, .jsonl files or folders)."""
    settings = ModelSettings.resolve(
        model, base_url, api_key, mode, timeout=timeout, http_retries=retries, max_tokens=max_tokens
    )
    try:
        price_override(price_in, price_out)  # both or neither, before anything is read or stored
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    overrides = {"title": title, "publisher": publisher, "url": url, "published": published}
    # Read lazily, so that the first calls start while later files are still being read;
    # only the inputs up to the first readable article are read before the database opens.
    reading = read_articles(list(paths), encoding, max_chars, overrides)
    first: list[Article | ReadFailure] = []
    for item in reading:
        first.append(item)
        if not isinstance(item, ReadFailure):
            break
    if not first:
        raise TruceError(f"No articles in {', '.join(map(str, paths))}: truce reads .txt, .md, .html and .jsonl files.")
    if all(isinstance(item, ReadFailure) for item in first):
        for item in first:
            err.print(Text.assemble(("failed", "red"), f" {item.source}: {item.reason}"))
        raise TruceError("None of the inputs could be read; nothing was stored.")
    items = itertools.chain(first, reading)
    db = store.open_db(db_path)
    client = ModelClient(settings)
    progress, on_event = progress_reporter(sum(1 for _ in expand_paths(list(paths))), silent)
    try:
        overridden = tuple(name for name, value in overrides.items() if value is not None)
        report = run_extraction(
            db,
            items,
            client,
            concurrency=concurrency,
            force=force,
            strict=strict,
            overridden=overridden,
            price_in=price_in,
            price_out=price_out,
            window_chars=window_chars,
            relevant_only=not no_filter,
            processes=processes or default_processes(concurrency),
            on_event=on_event,
        )
    except KeyboardInterrupt:
        interrupted.set()
        raise click.ClickException(
            "Interrupted. Finished articles are saved; run the same command again to continue."
        ) from None
    finally:
        if progress:
            progress.stop()
    err.print(run_summary(report, db_path))
    if report.stopped:
        raise TruceError(report.stopped)
    if not no_crosscheck:
        # The whole database, not only this run's articles: a run that was interrupted
        # before its cross-check left pairs unchecked, and a re-run with nothing new to
        # extract must still end with every conflict found.
        print_crosscheck(run_crosscheck(db, adjudicator=client if adjudicate else None, concurrency=concurrency))
    if report.totals.failed:
        sys.exit(1)
