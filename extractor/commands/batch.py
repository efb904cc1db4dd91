"""`truce batch prepare` / `truce batch ingest`: extraction through the OpenAI Batch API
or `vllm run-batch` (extractor/batch/)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from extractor.batch.ingest import IngestReport, ingest_results
from extractor.batch.prepare import PrepareReport, prepare_batch, prepare_reask
from extractor.commands.options import db_option, err, print_crosscheck, window_options
from extractor.crosscheck.run import run_crosscheck
from extractor.extraction.settings import MODES
from extractor.extraction.windows import DEFAULT_WINDOW_CHARS
from extractor.read import read_articles
from extractor.storage import store


@click.group(name="batch")
def batch() -> None:
    """Extract through a batch API: write the requests, then store the answers.

    truce batch prepare PATH... --model M --out batch.jsonl writes one request per
    article (the OpenAI Batch API's format, which vllm run-batch also reads); truce
    batch ingest results.jsonl stores the answers as truce extract would; truce batch
    prepare --reask --out reask.jsonl writes the re-asks for quotes that did not align."""


@batch.command(name="prepare")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The batch input file to write."
)
@click.option("--model", envvar="TRUCE_MODEL", help="The model that will answer (or TRUCE_MODEL).")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    help="tools (default: OpenAI function calling); json_schema (vLLM); json_object (llama-cpp-python).",
)
@click.option("--max-tokens", type=click.IntRange(1), help="Cap on each answer's length.")
@click.option(
    "--force",
    is_flag=True,
    help="Prepare articles already extracted with this model and prompt too, and those (or re-asks) "
    "in a batch not yet ingested.",
)
@window_options
@click.option(
    "--reask",
    is_flag=True,
    help="Instead of PATHs: the re-asks for ingested claims whose quotes do not align (a second batch).",
)
@db_option()
def prepare(paths, out, model, mode, max_tokens, force, window_chars, no_filter, reask, db_path) -> None:
    """Write the batch requests for the articles not yet extracted with this model and
    prompt, and store the articles, which `truce batch ingest` reads the answers against."""
    if reask:
        if paths or mode or max_tokens or no_filter or window_chars != DEFAULT_WINDOW_CHARS:
            raise click.UsageError(
                "--reask takes no PATH and no request options: it re-asks what the database holds, "
                "with the model and settings of the first request (--model picks one model)."
            )
        report = prepare_reask(store.open_db(db_path, must_exist=True), out, model, force)
    else:
        if not paths:
            raise click.UsageError("Give the articles to extract (files or folders), or --reask.")
        if not model:
            raise click.UsageError("Pass --model (or set TRUCE_MODEL): every request names the model to answer it.")
        items = read_articles(list(paths))
        report = prepare_batch(
            store.open_db(db_path), items, out, model, mode or "tools", max_tokens, force, window_chars, not no_filter
        )
    _print_prepared(report, out, db_path, reask)


def _print_prepared(report: PrepareReport, out: Path, db_path: str, reask: bool) -> None:
    for failure in report.failures:
        err.print(Text.assemble(("failed", "red"), f" {failure.source}: {failure.reason}"))
    for problem in report.problems:
        err.print(Text.assemble(("not re-asked", "yellow"), f" {problem}"))
    what = "re-ask(s)" if reask else "request(s)"
    line = f"Wrote {report.written} {what} for {report.articles} article(s) to {out}"
    if report.models:
        line += f" (model {', '.join(report.models)})"
    if not reask:
        line += f"; skipped {report.skipped} already extracted with this model and prompt"
        if report.outstanding:
            line += (
                f" and {report.outstanding} whose requests for this model, mode and prompt are in a batch "
                "not yet ingested"
            )
        line += " (--force prepares them)"
    elif report.outstanding:
        line += (
            f"; skipped {report.outstanding} article(s) whose re-asks are in a batch not yet ingested "
            "(--force writes them again)"
        )
    if report.no_truce:
        line += f"; {report.no_truce} long article(s) with no passage about a truce stored with no claims"
    err.print(line + ".")
    if report.written:
        err.print(f'Send {out} as a batch (README, "Batch"), then: truce batch ingest RESULTS.jsonl --db {db_path}')
    elif reask and not report.outstanding:
        err.print("No claims await a re-ask.")
    if report.failures:
        sys.exit(1)


@batch.command(name="ingest")
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@db_option()
@click.option("--no-crosscheck", is_flag=True, help="Do not cross-check the database at the end.")
def ingest(results, db_path, no_crosscheck) -> None:
    """Store the answers in RESULTS (a batch's output file, and its error file) as truce
    extract stores live answers, then cross-check the database."""
    db = store.open_db(db_path, must_exist=True)
    report = ingest_results(db, list(results))
    _print_ingested(report, results, db_path)
    if not no_crosscheck:
        print_crosscheck(run_crosscheck(db))
    if report.totals.failed or report.problems:
        sys.exit(1)


def _print_ingested(report: IngestReport, results: tuple[Path, ...], db_path: str) -> None:
    for problem in report.problems:
        err.print(Text.assemble(("not ingested", "yellow"), f" {problem}"))
    for error in report.errors:
        err.print(Text.assemble(("failed", "red"), f" {error['source']}: {error['error']}"))
    t = report.totals
    reasked = f" ({report.reasked} with re-asks merged)" if report.reasked else ""
    err.print(
        f"Stored {t.extracted} article(s){reasked}, skipped {t.skipped} answer(s) ingested before, failed {t.failed}; "
        f"{t.input_tokens} input / {t.output_tokens} output tokens"
        f"{'; ' + report.cost.describe(hint=False) if report.cost else ''}. Database: {db_path}"
    )
    if report.waiting:
        err.print(f"{report.waiting} answer(s) are kept until the other windows of their article are answered.")
    if report.unanswered:
        articles = len({r.article_id for r in report.unanswered})
        err.print(
            f"{len(report.unanswered)} request(s) of this batch, for {articles} article(s), have no answer in "
            f"{', '.join(map(str, results))}: those articles are not stored. Ingest the file that answers them, "
            "or write their requests again with truce batch prepare --force on those articles."
        )
    if report.awaiting_reask:
        err.print(
            f"{report.awaiting_reask} article(s) have claims whose quotes do not align; their re-asks: "
            f"truce batch prepare --reask --out reask.jsonl --db {db_path}"
        )
