"""The `truce` command: thin over the library. Parses options, calls, prints."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click
from click_default_group import DefaultGroup
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from extractor.commands.audit import audit
from extractor.commands.batch import batch
from extractor.commands.options import db_option, err, model_options, model_settings, print_crosscheck, window_options
from extractor.commands.report import report
from extractor.commands.serve import serve
from extractor.crosscheck.conflicts import CONFLICT_TYPES
from extractor.crosscheck.run import (
    DEFAULT_WINDOW_DAYS,
    ConflictFilters,
    query_conflicts,
    run_crosscheck,
)
from extractor.demo import run_demo
from extractor.entities import resolve as entities
from extractor.entities.resolve import query_entities, resolve_entities
from extractor.errors import ConfigError, TruceError
from extractor.evals.report import render_run
from extractor.evals.results import compare_rows, save_eval_run
from extractor.evals.run import run_eval
from extractor.evals.suite import check_suite, load_suite
from extractor.extraction.cost import price_override
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.extraction.schema import CLAIM_KINDS
from extractor.output import output_options, output_rows
from extractor.pipeline import Event, RunReport, default_processes, run_extraction
from extractor.read import DEFAULT_MAX_CHARS, Article, ReadFailure, expand_paths, read_articles
from extractor.show import render_claim
from extractor.storage import store


class TruceGroup(click.Group):
    """Turns the project's errors into one clear sentence instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TruceError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=TruceGroup)
@click.version_option(package_name="truce")
def cli() -> None:
    """truce: attributed, grounded truce and ceasefire claims from news articles."""


def _progress_reporter(total: int, silent: bool) -> tuple[Progress | None, Callable[[Event], None]]:
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
        if progress is not None and task is not None:
            progress.advance(task)
        if event.kind in ("failed", "read_failed"):
            err.print(Text.assemble(("failed", "red"), f" {event.source}: {event.detail}"))
        elif not silent and event.kind == "skipped":
            err.print(Text(f"skipped {event.source}: {event.detail} (use --force to redo)"))

    return progress, on_event


def _summary(report: RunReport, db_path: str, price_hint: bool = True) -> str:
    t = report.totals
    cached = f" ({t.cached_tokens} cached)" if t.cached_tokens else ""
    cost = f"; {report.cost.describe(hint=price_hint)}" if report.cost else ""
    return (
        f"Extracted {t.extracted} article(s), skipped {t.skipped}, failed {t.failed}; "
        f"{t.input_tokens} input{cached} / {t.output_tokens} output tokens{cost}. Database: {db_path}"
    )


@cli.command()
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
    help="Worker processes making the model calls (default 1; 2 from 32 calls in flight).",
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
    progress, on_event = _progress_reporter(sum(1 for _ in expand_paths(list(paths))), silent)
    try:
        if progress:
            progress.start()
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
        _interrupted.set()
        raise click.ClickException(
            "Interrupted. Finished articles are saved; run the same command again to continue."
        ) from None
    finally:
        if progress:
            progress.stop()
    err.print(_summary(report, db_path))
    if report.stopped:
        raise TruceError(report.stopped)
    if not no_crosscheck:
        # The whole database, not only this run's articles: a run that was interrupted
        # before its cross-check left pairs unchecked, and a re-run with nothing new to
        # extract must still end with every conflict found.
        print_crosscheck(run_crosscheck(db, adjudicator=client if adjudicate else None, concurrency=concurrency))
    if report.totals.failed:
        sys.exit(1)


@cli.command()
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
    client = ModelClient(model_settings(model, base_url, api_key, mode, timeout, retries)) if adjudicate else None
    report = run_crosscheck(db, window, adjudicator=client, concurrency=concurrency)
    print_crosscheck(report)
    if report.adjudication_errors:
        sys.exit(1)  # the rules' findings are stored; some pairs still await a verdict


_CONFLICT_COLUMNS: dict[str, Callable[[dict], str]] = {
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


@cli.command()
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
    output_rows(query_conflicts(db, filters), fmt, _CONFLICT_COLUMNS, title="Conflicts")


def _check_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return value
    try:
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
            raise ValueError
        date.fromisoformat((value + "-01-01")[:10] if len(value) < 10 else value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2020-10-10."
        ) from None
    return value


_CLAIM_COLUMNS: dict[str, Callable[[dict], str]] = {
    "id": lambda r: r["id"],
    "kind": lambda r: r["kind"],
    "parties": lambda r: ", ".join(dict.fromkeys(p["canonical"] for p in r["parties"])),
    "said by": lambda r: r["speaker"] or "",
    "via": lambda r: " → ".join(a["name"] for a in r["attribution"] if a["role"] != "speaker" and a["name"]),
    "date": lambda r: r["event_date"] or "",
    "duration": lambda r: r["duration_text"] or "",
    "grounding": lambda r: r["grounding"],
    "summary": lambda r: r["summary"],
}


@cli.command()
@db_option()
@click.option("--party", help="Claims involving this party (canonical names: ISIS = Daesh = IS).")
@click.option("--kind", type=click.Choice(CLAIM_KINDS), help="Only this kind of claim.")
@click.option("--outlet", help="Published or relayed by this outlet.")
@click.option("--speaker", help="Said by this speaker (name, description or affiliation).")
@click.option("--article", help="Only claims of this article (id or id prefix).")
@click.option("--since", callback=_check_date, help="Event (or article) date on or after YYYY[-MM[-DD]].")
@click.option("--until", callback=_check_date, help="Event (or article) date on or before YYYY[-MM[-DD]].")
@click.option("--ungrounded", is_flag=True, help="Only claims whose quotes did not all align.")
@click.option("--search", help="Full-text search in summaries, speakers and quotes.")
@output_options
def claims(db_path, fmt, **filters) -> None:
    """List stored claims."""
    db = store.open_db(db_path, must_exist=True)
    output_rows(store.query_claims(db, store.ClaimFilters(**filters)), fmt, _CLAIM_COLUMNS, title="Claims")


@cli.command()
@db_option()
@output_options
def articles(db_path, fmt) -> None:
    """List stored articles (--json includes the text that evidence offsets index into)."""
    db = store.open_db(db_path, must_exist=True)
    columns = {
        "id": lambda r: r["id"],
        "title": lambda r: (r["title"] or "")[:70],
        "publisher": lambda r: r["publisher"],
        "published": lambda r: r["published"],
        "claims": lambda r: r["claims"],
        "extraction": lambda r: r["last_extraction"],
        "source": lambda r: r["source"],
    }
    output_rows(store.query_articles(db), fmt, columns, title="Articles")


@cli.command()
@click.argument("claim_id")
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Print the claim and its conflicts as JSON.")
def show(claim_id, db_path, as_json) -> None:
    """Show one claim (by its id or a prefix only it has): its attribution chain and its
    evidence in context."""
    db = store.open_db(db_path, must_exist=True)
    claim = store.get_claim(db, claim_id)
    conflicts = list(query_conflicts(db, claim_id=claim["id"]))
    if as_json:
        click.echo(json.dumps({**claim, "conflicts": conflicts}, indent=2, ensure_ascii=False))
        return
    article = store.get_article(db, claim["article_id"])
    found = [
        f"{row['type']} with {row['claim_b'] if row['claim_a'] == claim['id'] else row['claim_a']}: "
        f"{row['reason']} [{row['method']}]"
        for row in conflicts
    ]
    Console().print(render_claim(claim, article, found))


@cli.command()
@db_option(default="truce-demo.db")
@click.option("--silent", is_flag=True, help="Print only the claims table.")
def demo(db_path, silent) -> None:
    """Extract the bundled seed articles by replaying recorded reference responses."""
    if not silent:
        err.print(
            "Replaying recorded responses of the reference server (hand-written reference "
            "answers, model: reference); no model is called."
        )
    progress, on_event = _progress_reporter(5, silent=True)
    result = run_demo(Path(db_path), on_event=on_event)
    output_rows(
        store.query_claims(result.db, store.ClaimFilters()), None, _CLAIM_COLUMNS, title="Claims in the seed corpus"
    )
    output_rows(query_conflicts(result.db), None, _CONFLICT_COLUMNS, title="Conflicts between them")
    if not silent:
        err.print(_summary(result.extraction, db_path, price_hint=False))
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


# --- entities ---------------------------------------------------------------------------


@cli.group(name="entities", cls=DefaultGroup, default="list", default_if_no_args=True)
def entities_group() -> None:
    """The entities party names resolve to: list them, merge two, split one off.

    truce entities lists them; truce entities merge A B and truce entities split NAME
    record your decision in the database, where it outlives re-extraction."""


@entities_group.command(name="list")
@output_options
@db_option()
def entities_list(fmt, db_path) -> None:
    """Every entity with its aliases, kind and mention count (resolved afresh)."""
    db = store.open_db(db_path, must_exist=True)
    resolve_entities(db)
    columns = {
        "id": lambda r: r["id"],
        "name": lambda r: r["name"],
        "kind": lambda r: r["kind"],
        "mentions": lambda r: str(r["mentions"]),
        "aliases": lambda r: "; ".join(r["aliases"]),
    }
    output_rows(query_entities(db), fmt, columns, title="Entities")


@entities_group.command(name="merge")
@click.argument("first")
@click.argument("second")
@db_option()
def entities_merge(first, second, db_path) -> None:
    """Record that FIRST and SECOND (entity ids or names as written) are one entity."""
    db = store.open_db(db_path, must_exist=True)
    entities.merge(db, first, second)
    print_crosscheck(run_crosscheck(db))
    err.print(f"Merged {first!r} and {second!r}; the decision is kept in entity_decisions.")


@entities_group.command(name="split")
@click.argument("name")
@db_option()
def entities_split(name, db_path) -> None:
    """Record that NAME (a name as written) is an entity of its own."""
    db = store.open_db(db_path, must_exist=True)
    entities.split(db, name)
    print_crosscheck(run_crosscheck(db))
    err.print(f"Split {name!r} into an entity of its own; the decision is kept in entity_decisions.")


# --- eval suites ----------------------------------------------------------------------

DEFAULT_EVAL_DB = "truce-evals.db"
suite_argument = click.argument("suite_path", metavar="SUITE", type=click.Path(path_type=Path))


@cli.group(name="eval", cls=DefaultGroup, default="run", default_if_no_args=False)
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


# Commands that live in their own modules under extractor/commands/.
for _command in (serve, report, audit, batch):
    cli.add_command(_command)


_interrupted = threading.Event()


def main() -> None:
    try:
        cli(prog_name="truce")
    except SystemExit:
        if _interrupted.is_set():
            # Exit now: model calls still in flight would otherwise keep the process alive
            # through all their retries. Their articles were not stored; a re-run does them.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        raise
