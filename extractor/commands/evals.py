"""`truce eval`: score extraction and cross-check against an eval suite."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from click_default_group import DefaultGroup
from rich.console import Console
from rich.text import Text

from extractor.commands.options import db_option, err, model_options
from extractor.errors import TruceError
from extractor.evals.report import render_run
from extractor.evals.results import compare_rows, save_eval_run
from extractor.evals.run import run_eval
from extractor.evals.suite import check_suite, load_suite
from extractor.extraction.settings import ModelSettings
from extractor.output import output_options, output_rows
from extractor.storage import store

DEFAULT_EVAL_DB = "truce-evals.db"
suite_argument = click.argument("suite_path", metavar="SUITE", type=click.Path(path_type=Path))


@click.group(name="eval", cls=DefaultGroup, default="run", default_if_no_args=False)
def eval_group() -> None:
    """Score extraction and cross-check against an eval suite (see evals/README.md).

    truce eval SUITE replays the suite's recordings; truce eval check SUITE validates
    it; truce eval compare SUITE shows the stored eval runs side by side."""


@eval_group.command(name="run")
@suite_argument
@click.option("--recording", help="Replay only this recording of the suite (default: every recording).")
@click.option("--crosscheck-only", is_flag=True, help="Feed the gold claims to grounding, storage and cross-check.")
@click.option(
    "--names-as-written",
    is_flag=True,
    help="With --crosscheck-only: drop the gold's standard party names, as a model that omits them.",
)
@click.option("--record", "record_as", help="With --base-url/--model: save the exchanges as recordings/NAME.yaml.")
@click.option("--record-note", help="What served the recording (server, weights), written into its header.")
@model_options
@click.option("--max-tokens", type=int, help="Cap on each answer's length (small local models).")
@click.option("--reasks", default=2, show_default=True, help="Re-asks when an answer does not fit the schema.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON (an array for several runs).")
@click.option("--brief", is_flag=True, help="Scores only, without the list of misses and false flags.")
@click.option("--keep-db", type=click.Path(dir_okay=False, path_type=Path), help="Keep the extracted claims here.")
@db_option(default=DEFAULT_EVAL_DB)
def eval_run(
    suite_path, recording, crosscheck_only, names_as_written, record_as, record_note, model, base_url, api_key, mode,
    timeout, retries, concurrency, max_tokens, reasks, as_json, brief, keep_db, db_path,
) -> None:  # fmt: skip
    """Score a suite: replay its recordings, run a live model, or only the cross-check."""
    suite = load_suite(suite_path)
    live = base_url or model or api_key
    if sum(bool(x) for x in (recording, crosscheck_only, live)) > 1:
        raise click.UsageError("Choose one of --recording, --crosscheck-only and a live model (--base-url/--model).")
    if names_as_written and not crosscheck_only:
        raise click.UsageError("--names-as-written goes with --crosscheck-only.")
    if record_as and not live:
        raise click.UsageError("--record needs a live model: pass --base-url and --model.")
    if live:
        settings = ModelSettings.resolve(
            model,
            base_url,
            api_key,
            mode,
            timeout=timeout,
            http_retries=retries,
            max_tokens=max_tokens,
            validation_retries=reasks,
        )
        label = f"{record_note.strip()}\nmodel: {settings.model}" if record_note else None
        runs = [
            run_eval(
                suite, live=settings, record_as=record_as, record_label=label, keep_db=keep_db, concurrency=concurrency
            )
        ]
    elif crosscheck_only:
        runs = [run_eval(suite, crosscheck_only=True, names_as_written=names_as_written, keep_db=keep_db)]
    else:
        names = [recording] if recording else sorted(suite.recordings)
        if not names:
            raise TruceError(f"The suite {suite.name} has no recordings; record one with --base-url ... --record NAME.")
        runs = [run_eval(suite, recording=name, keep_db=keep_db) for name in names]
    results = store.open_db(db_path)
    for run in runs:
        save_eval_run(results, run)
    if as_json:
        summaries = [run.summary() for run in runs]
        click.echo(json.dumps(summaries[0] if len(summaries) == 1 else summaries, indent=2, ensure_ascii=False))
    else:
        console = Console(highlight=False)
        for run in runs:
            render_run(console, run, details=not brief)
        err.print(f"Eval runs stored in {db_path}; compare them with: truce eval compare {suite_path} --db {db_path}")
    if any(not run.passed for run in runs):
        sys.exit(1)


@eval_group.command(name="check")
@suite_argument
def eval_check(suite_path) -> None:
    """Validate a suite: quotes in their articles, labels known, dates well formed."""
    suite = load_suite(suite_path)
    problems = check_suite(suite)
    for problem in problems:
        err.print(Text(problem))
    claims = sum(len(a.gold.claims) for a in suite.articles)
    summary = (
        f"{suite.name}: {len(suite.articles)} articles, {claims} gold claims, {len(suite.conflicts())} conflicts, "
        f"{len(suite.hard_negatives())} hard negatives, recordings: {', '.join(sorted(suite.recordings)) or 'none'}."
    )
    if problems:
        raise TruceError(f"{summary} {len(problems)} problem(s) found.")
    click.echo(summary + " No problems found.")


@eval_group.command(name="compare")
@suite_argument
@output_options
@db_option(default=DEFAULT_EVAL_DB)
def eval_compare(suite_path, fmt, db_path) -> None:
    """Every stored eval run of a suite side by side."""
    db = store.open_db(db_path, must_exist=True)
    columns = {
        "id": lambda r: str(r["id"]),
        "when": lambda r: r["started_at"],
        "mode": lambda r: r["mode"],
        "recording/model": lambda r: f"{r['recording'] or '-'} / {r['model'] or '-'}",
        "prompt": lambda r: r["prompt_hash"] or "-",
        "claims P/R/F1": lambda r: "/".join(_score(r[k]) for k in ("claims_precision", "claims_recall", "claims_f1")),
        "conflicts P/R": lambda r: "/".join(_score(r[k]) for k in ("conflicts_precision", "conflicts_recall")),
        "hard neg.": lambda r: str(r["max_hard_negatives_flagged"]),
        "entities": lambda r: _score(r["entities_resolved"]),
        "passed": lambda r: "-" if r["passed"] is None else ("yes" if r["passed"] else "no"),
    }
    shown = output_rows(compare_rows(db, Path(suite_path).name), fmt, columns, title=f"Eval runs of {suite_path}")
    if not shown and fmt in (None, "table"):
        err.print(f"No eval runs of {Path(suite_path).name} in {db_path}; run: truce eval {suite_path}")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
