"""`truce crosscheck` and `truce conflicts`: find the claims that cannot all be true, list them."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from extractor.commands.options import db_option, model_options, model_settings, print_crosscheck
from extractor.crosscheck.conflicts import CONFLICT_TYPES
from extractor.crosscheck.run import DEFAULT_WINDOW_DAYS, ConflictFilters, query_conflicts, run_crosscheck
from extractor.output import output_options, output_rows
from extractor.storage import store


@click.command()
@db_option()
@click.option(
    "--window",
    default=DEFAULT_WINDOW_DAYS,
    show_default=True,
    type=click.IntRange(0, 3650),
    help="Days apart two dated claims can be and still be about the same truce.",
)
@click.option("--adjudicate", is_flag=True, help="Send the pairs the rules leave ambiguous to the model.")
@model_options
def crosscheck(db_path, window, adjudicate, model, base_url, api_key, mode, timeout, retries, concurrency) -> None:
    """Flag the claims in the database that cannot all be true."""
    db = store.open_db(db_path, must_exist=True)
    client = None
    if adjudicate:  # the model SDK is loaded only for this
        from extractor.extraction.model import ModelClient

        client = ModelClient(model_settings(model, base_url, api_key, mode, timeout, retries))
    report = run_crosscheck(db, window, adjudicator=client, concurrency=concurrency)
    print_crosscheck(report)
    if report.adjudication_errors:
        sys.exit(1)  # the rules' findings are stored; some pairs still await a verdict


CONFLICT_COLUMNS: dict[str, Callable[[dict], str]] = {
    "type": lambda r: r["type"] + (" (partial)" if r["severity"] == "partial" else ""),
    "claim a": lambda r: (
        f"{r['claim_a']}\n{r['claim_a_speaker'] or ''} via {' → '.join(r['claim_a_sources'][:-1]) or '-'}"
    ),
    "claim b": lambda r: (
        f"{r['claim_b']}\n{r['claim_b_speaker'] or ''} via {' → '.join(r['claim_b_sources'][:-1]) or '-'}"
    ),
    "reason": lambda r: r["reason"],
    "found by": lambda r: r["method"],
}


@click.command()
@db_option()
@click.option("--type", "type_", type=click.Choice(CONFLICT_TYPES), help="Only this type of conflict.")
@click.option("--party", help="Conflicts involving this party (canonical names).")
@click.option("--article", help="Conflicts involving a claim of this article (id or prefix).")
@click.option("--outlet", help="Conflicts involving a claim published or relayed by this outlet.")
@output_options
def conflicts(db_path, type_, party, article, outlet, fmt) -> None:
    """List the pairs of claims that conflict, with the reason and how it was found."""
    db = store.open_db(db_path, must_exist=True)
    filters = ConflictFilters(type=type_, party=party, article=article, outlet=outlet)
    output_rows(query_conflicts(db, filters), fmt, CONFLICT_COLUMNS, title="Conflicts")
