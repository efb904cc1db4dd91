"""The `truce` command: thin over the library. Parses options, calls, prints.

Each command lives in `extractor/commands/` and is imported when it runs, so that
`truce claims` does not load the model SDK and `truce extract` not the report, the eval
suites or Datasette.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import sys
import threading

import click

from extractor.commands.options import interrupted
from extractor.errors import TruceError

COMMANDS = {
    "extract": "extractor.commands.extract:extract",
    "crosscheck": "extractor.commands.crosscheck:crosscheck",
    "conflicts": "extractor.commands.crosscheck:conflicts",
    "claims": "extractor.commands.query:claims",
    "articles": "extractor.commands.query:articles",
    "show": "extractor.commands.query:show",
    "entities": "extractor.commands.entities:entities_group",
    "demo": "extractor.commands.demo:demo",
    "eval": "extractor.commands.evals:eval_group",
    "report": "extractor.commands.report:report",
    "audit": "extractor.commands.audit:audit",
    "serve": "extractor.commands.serve:serve",
    "batch": "extractor.commands.batch:batch",
}
_as_a_command = threading.Event()  # set by main(): the process is `truce`, not a caller's


class TruceGroup(click.Group):
    """Loads a command's module when the command is asked for, and turns the project's
    errors into one clear sentence instead of a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, name = target.split(":")
        command = getattr(importlib.import_module(module), name)
        if _as_a_command.is_set():
            # What the imports made lives as long as the process: the collector need not
            # walk it again (and a forked worker shares those pages instead of copying them).
            gc.freeze()
        return command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TruceError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=TruceGroup)
@click.version_option(package_name="truce")
def cli() -> None:
    """truce: attributed, grounded truce and ceasefire claims from news articles."""


def _exit_at_once(code: int) -> None:
    """End the process without the interpreter's teardown, which with the openai SDK's
    thousands of classes loaded takes about a second (issue 9). Only when no other thread
    is left to finish its work. The collector runs first, over everything: a database
    connection is freed only by it (sqlite3's statement cache refers back to its
    connection), and freeing it closes it, which checkpoints the write-ahead log into the
    database file. Then the exit handlers run as usual (they close the databases still
    open), the output is flushed, and the process exits."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if others:
        return
    gc.unfreeze()  # what was frozen (connections too) must be collected now
    gc.collect()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # truce claims | head: the reader has all it wanted
            pass
        except (OSError, ValueError) as exc:  # a full disk: the output is incomplete
            with contextlib.suppress(OSError):
                os.write(2, f"truce: the output could not be written: {exc}\n".encode())
            code = code or 120  # as Python itself exits when its last flush fails
    os._exit(code)


def main() -> None:
    _as_a_command.set()
    try:
        cli(prog_name="truce")
    except SystemExit as exc:
        if interrupted.is_set():
            # Exit now: model calls still in flight would otherwise keep the process alive
            # through all their retries. Their articles were not stored; a re-run does them.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        if exc.code is None or isinstance(exc.code, int):
            _exit_at_once(exc.code or 0)
        raise
