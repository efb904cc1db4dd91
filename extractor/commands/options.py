"""Options, the error console and the cross-check summary the `truce` commands share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from extractor.extraction.settings import MODES, ModelSettings
from extractor.extraction.windows import DEFAULT_WINDOW_CHARS

if TYPE_CHECKING:
    from extractor.crosscheck.run import CrosscheckReport

DEFAULT_DB = "truce.db"
# Messages carry untrusted text (file names, a server's error text): plain text, never markup.
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
# Set when Ctrl-C stopped a run: the command then exits at once (extractor/cli.py).
interrupted = threading.Event()


def db_option(default: str = DEFAULT_DB) -> Callable:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        default=default,
        show_default=True,
        envvar="TRUCE_DB",
        help="SQLite database file (or set TRUCE_DB).",
    )


def window_options(command: Callable) -> Callable:
    """--window-chars and --no-filter: how a long article goes to the model (extraction/windows.py)."""
    command = click.option(
        "--no-filter",
        is_flag=True,
        help="Send every window of a long article, not only the passages that speak of a truce.",
    )(command)
    return click.option(
        "--window-chars",
        default=DEFAULT_WINDOW_CHARS,
        show_default=True,
        type=click.IntRange(1000),
        help="Longer articles go to the model in windows of at most this many characters.",
    )(command)


def model_options(command: Callable) -> Callable:
    """The options that choose and tune the model endpoint."""
    options = [
        click.option("--model", help="Model name (or TRUCE_MODEL); default gpt-4o-mini on OpenAI."),
        click.option(
            "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (or OPENAI_BASE_URL)."
        ),
        click.option("--api-key", help="API key (or OPENAI_API_KEY). Never stored."),
        click.option(
            "--mode",
            type=click.Choice(MODES),
            help="tools (OpenAI default); json_schema (vLLM, Ollama, llama-server; default with "
            "--base-url); json_object (llama-cpp-python's server).",
        ),
        click.option(
            "--timeout", default=120.0, show_default=True, help="Seconds a model call may take, answer included."
        ),
        click.option("--retries", default=4, show_default=True, help="Retries for 429, 5xx and timeouts."),
        click.option(
            "--concurrency",
            default=8,
            show_default=True,
            type=click.IntRange(1, 64),
            help="Model calls in flight at once.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def model_settings(model, base_url, api_key, mode, timeout, retries) -> ModelSettings:
    return ModelSettings.resolve(model, base_url, api_key, mode, timeout=timeout, http_retries=retries)


def print_crosscheck(report: CrosscheckReport) -> None:
    """The one line every command that cross-checks prints, and adjudication errors."""
    found = ", ".join(f"{n} {t}" for t, n in sorted(report.found.items())) or "none"
    line = (
        f"Cross-check: {report.claims} claims, {report.candidates} candidate pairs compared; "
        f"conflicts: {found}; {report.ambiguous} ambiguous pair(s)"
    )
    if report.adjudicated:
        line += f", {report.adjudicated} sent to the model"
    err.print(line + ".")
    for error in report.adjudication_errors:
        err.print(Text.assemble(("adjudication failed", "red"), f" {error}"))
