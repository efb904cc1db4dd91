"""One way to print rows: a table (default), --json, --nl (newline-delimited JSON), --csv."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "nl", "csv")


def output_options(command: Callable) -> Callable:
    """Add --json / --nl / --csv to a command; it receives `fmt`."""
    for flag, value, text in reversed(
        [
            ("--json", "json", "Print a JSON array."),
            ("--nl", "nl", "Print one JSON object per line."),
            ("--csv", "csv", "Print CSV (nested fields as JSON)."),
        ]
    ):
        command = click.option(flag, "fmt", flag_value=value, help=text)(command)
    return command


def _flat(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def output_rows(
    rows: Iterable[dict],
    fmt: str | None,
    table_columns: dict[str, Callable[[dict], str]],
    title: str | None = None,
) -> int:
    """Print rows in the chosen format; the table shows `table_columns` only.
    Returns the number of rows printed."""
    fmt = fmt or "table"
    count = 0
    if fmt == "json":
        sys.stdout.write("[")
        for count, row in enumerate(rows, start=1):
            sys.stdout.write(("," if count > 1 else "") + "\n" + json.dumps(row, ensure_ascii=False))
        sys.stdout.write("\n]\n" if count else "]\n")
        return count
    if fmt == "nl":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt == "csv":
        writer = None
        for row in rows:
            count += 1
            if writer is None:
                writer = csv.DictWriter(sys.stdout, fieldnames=list(row))
                writer.writeheader()
            writer.writerow({k: _flat(v) for k, v in row.items()})
        return count
    table = Table(title=title, show_lines=False, expand=False)
    for name in table_columns:
        # Ids are what a reader copies into `truce show`: never broken over two lines.
        holds_id = name == "id" or name.startswith("claim ")
        table.add_column(name, overflow="fold", no_wrap=name == "id", min_width=18 if holds_id else None)
    for row in rows:
        count += 1
        # Cells hold untrusted text (article words, a server's errors): never read as markup.
        table.add_row(*(Text(str(getter(row) or "")) for getter in table_columns.values()))
    console = Console(width=max(Console().width, 160) if not sys.stdout.isatty() else None)
    if count:
        console.print(table)
    else:
        console.print("No rows." if not title else f"{title}: none.")
    return count
