"""`truce demo`: the seed articles, replayed from the reference recording."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from extractor.commands.crosscheck import CONFLICT_COLUMNS
from extractor.commands.extract import progress_reporter, run_summary
from extractor.commands.options import db_option, err, print_crosscheck
from extractor.commands.query import CLAIM_COLUMNS
from extractor.crosscheck.run import query_conflicts
from extractor.demo import run_demo
from extractor.output import output_rows
from extractor.storage import store


@click.command()
@db_option(default="truce-demo.db")
@click.option("--silent", is_flag=True, help="Print only the claims table.")
def demo(db_path, silent) -> None:
    """Extract the bundled seed articles by replaying recorded reference responses."""
    if not silent:
        err.print(
            "Replaying recorded responses of the reference server (hand-written reference "
            "answers, model: reference); no model is called."
        )
    progress, on_event = progress_reporter(5, silent=True)
    result = run_demo(Path(db_path), on_event=on_event)
    output_rows(
        store.query_claims(result.db, store.ClaimFilters()), None, CLAIM_COLUMNS, title="Claims in the seed corpus"
    )
    output_rows(query_conflicts(result.db), None, CONFLICT_COLUMNS, title="Conflicts between them")
    if not silent:
        err.print(run_summary(result.extraction, db_path, price_hint=False))
        print_crosscheck(result.crosscheck)
        example = next(iter(query_conflicts(result.db)), None)
        err.print("Next, try:\n" + "\n".join(f"  {line}" for line in _demo_next(db_path, example)))
    if result.extraction.totals.failed:
        sys.exit(1)


def _demo_next(db_path: str, conflict: dict | None) -> list[str]:
    """The commands to try after the demo, on the database it wrote; `truce show` with a
    claim that has a conflict to show."""
    db = shlex.quote(db_path)
    lines = [f"truce claims --db {db}", f"truce conflicts --db {db}"]
    if conflict:
        lines.append(f"truce show {conflict['claim_a']} --db {db}")
    lines += [f"truce report --db {db} --out report.html", f"truce audit --db {db}", f"truce serve --db {db}"]
    return lines
