"""`truce report`: the evidence report as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import click

from extractor.commands.options import db_option, err
from extractor.report.html import write_report
from extractor.storage import store


@click.command()
@db_option()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default="report.html",
    show_default=True,
    help="The HTML file to write.",
)
@click.option("--article", "articles", multiple=True, help="Only this article (an id or its prefix); repeatable.")
def report(db_path, out, articles) -> None:
    """Write an HTML page: each article's text with its evidence marked, its claims, the
    sentences about a truce no claim covers, and the conflicts."""
    db = store.open_db(db_path, must_exist=True)
    summary = write_report(db, out, articles)
    not_grounded = f" ({summary.not_grounded} not grounded)" if summary.not_grounded else ""
    err.print(
        f"Wrote {out}: {summary.articles} article(s), {summary.claims} claim(s){not_grounded}, "
        f"{summary.quotes_marked} evidence quote(s) marked, {summary.conflicts} conflict(s), "
        f"{summary.uncovered} sentence(s) about a truce that no claim covers."
    )
    if summary.not_audited:
        err.print(
            f"{summary.not_audited} article(s) not extracted yet, or whose extraction failed: shown, not audited."
        )
