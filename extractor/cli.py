"""The `truce` command: thin over the library. Parses options, calls, prints."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from extractor import store
from extractor.demo import run_demo
from extractor.errors import TruceError
from extractor.model import MODES, ModelClient, ModelSettings
from extractor.output import output_options, output_rows
from extractor.pipeline import Event, RunReport, run_extraction
from extractor.read import DEFAULT_MAX_CHARS, read_articles
from extractor.schema import CLAIM_KINDS
from extractor.show import render_claim

DEFAULT_DB = "truce.db"
err = Console(stderr=True, highlight=False)


class TruceGroup(click.Group):
    """Turns the project's errors into one clear sentence instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TruceError as exc:
            raise click.ClickException(str(exc)) from None


def db_option(default: str = DEFAULT_DB) -> Callable:
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), default=default, show_default=True,
        envvar="TRUCE_DB", help="SQLite database file (or set TRUCE_DB).",
    )


@click.group(cls=TruceGroup)
@click.version_option(package_name="truce")
def cli() -> None:
    """truce: attributed, grounded truce and ceasefire claims from news articles."""
    # instructor logs every failed attempt; the pipeline reports failures itself.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)


def _progress_reporter(total: int, silent: bool) -> tuple[Progress | None, Callable[[Event], None]]:
    show_bar = not silent and sys.stderr.isatty()
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    ) if show_bar else None
    task = progress.add_task("extracting", total=total) if progress else None

    def on_event(event: Event) -> None:
        if progress is not None and task is not None:
            progress.advance(task)
        if event.kind in ("failed", "read_failed"):
            err.print(f"[red]failed[/red] {event.source}: {event.detail}")
        elif not silent and event.kind == "skipped":
            err.print(f"skipped {event.source}: {event.detail} (use --force to redo)")

    return progress, on_event


def _summary(report: RunReport, db_path: str) -> str:
    t = report.totals
    return (
        f"Extracted {t.extracted} article(s), skipped {t.skipped}, failed {t.failed}; "
        f"{t.input_tokens} input / {t.output_tokens} output tokens. Database: {db_path}"
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option()
@click.option("--model", help="Model name (or TRUCE_MODEL); default gpt-4o-mini on OpenAI.")
@click.option("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (or OPENAI_BASE_URL).")
@click.option("--api-key", help="API key (or OPENAI_API_KEY). Never stored.")
@click.option("--mode", type=click.Choice(MODES),
              help="tools (OpenAI default); json_schema (vLLM, Ollama, llama-server; default with --base-url); "
              "json_object (llama-cpp-python's server).")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Model calls in flight at once.")
@click.option("--force", is_flag=True, help="Extract again even if done with this model and prompt.")
@click.option("--strict", is_flag=True, help="Drop claims whose quotes do not all align, instead of flagging them.")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds per model call.")
@click.option("--retries", default=4, show_default=True, help="Retries for 429, 5xx and timeouts.")
@click.option("--title", help="Override the article title.")
@click.option("--publisher", help="Override the publisher.")
@click.option("--url", help="Override the article URL.")
@click.option("--published", help="Override the publication date (YYYY-MM-DD).")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the input files.")
@click.option("--max-chars", default=DEFAULT_MAX_CHARS, show_default=True, help="Refuse longer articles.")
@click.option("--silent", is_flag=True, help="No progress bar or skip messages.")
def extract(paths, db_path, model, base_url, api_key, mode, concurrency, force, strict, timeout,
            retries, title, publisher, url, published, encoding, max_chars, silent) -> None:
    """Extract truce claims from articles (.txt, .md, .html, .jsonl files or folders)."""
    settings = ModelSettings.resolve(model, base_url, api_key, mode, timeout=timeout, http_retries=retries)
    overrides = {"title": title, "publisher": publisher, "url": url, "published": published}
    items = list(read_articles(list(paths), encoding, max_chars, overrides))
    db = store.open_db(db_path)
    progress, on_event = _progress_reporter(len(items), silent)
    try:
        if progress:
            progress.start()
        report = run_extraction(db, items, ModelClient(settings), concurrency=concurrency,
                                force=force, strict=strict, on_event=on_event)
    except KeyboardInterrupt:
        raise click.ClickException("Interrupted. Finished articles are saved; run the same command again to continue.") from None
    finally:
        if progress:
            progress.stop()
    err.print(_summary(report, db_path))
    if report.totals.failed:
        sys.exit(1)


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
@click.option("--since", help="Event (or article) date on or after YYYY[-MM[-DD]].")
@click.option("--until", help="Event (or article) date on or before YYYY[-MM[-DD]].")
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
        "id": lambda r: r["id"], "title": lambda r: (r["title"] or "")[:70],
        "publisher": lambda r: r["publisher"], "published": lambda r: r["published"],
        "claims": lambda r: r["claims"], "extraction": lambda r: r["last_extraction"],
        "source": lambda r: r["source"],
    }
    output_rows(store.query_articles(db), fmt, columns, title="Articles")


@cli.command()
@click.argument("claim_id")
@db_option()
def show(claim_id, db_path) -> None:
    """Show one claim: its attribution chain and its evidence in context."""
    db = store.open_db(db_path, must_exist=True)
    claim = store.get_claim(db, claim_id)
    article = store.get_article(db, claim["article_id"])
    Console().print(render_claim(claim, article))


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
    db, report = run_demo(Path(db_path), on_event=on_event)
    output_rows(store.query_claims(db, store.ClaimFilters()), None, _CLAIM_COLUMNS, title="Claims in the seed corpus")
    if not silent:
        err.print(_summary(report, db_path))
        err.print(f"Try: truce claims --db {db_path} --json | truce show <id> --db {db_path}")
    if report.totals.failed:
        sys.exit(1)


def main() -> None:
    cli(prog_name="truce")
