"""The conventions every `truce` command keeps: help text everywhere, --json/--nl/--csv on
every listing, --db or TRUCE_DB for the database, and a demo that says what to run next
on the database it wrote."""

from __future__ import annotations

import csv
import inspect
import io
import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from truce_helpers import ROOT, invoke, query

from extractor.cli import cli

FORMAT_FLAGS = {"--json", "--nl", "--csv"}
# A listing command is one whose callback prints rows through extractor.output.output_rows.
# The demo prints two fixed tables for a first look and then the listing commands to run on
# its database, so it is not a listing itself.
NOT_LISTINGS = {"demo"}
# The listings truce has always had: finding fewer means the detection itself is broken.
KNOWN_LISTINGS = {"claims", "conflicts", "articles", "entities list", "eval compare", "audit"}


def command_tree(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every command and subcommand, as ("entities list", command); the top level's are
    loaded as `truce` loads them, when asked for."""
    context = click.Context(group)
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        yield " ".join((*path, name)), command
        if isinstance(command, click.Group):
            yield from command_tree(command, (*path, name))


def prints_rows(command: click.Command) -> bool:
    callback = command.callback
    return callback is not None and "output_rows(" in inspect.getsource(inspect.unwrap(callback))


def listing_commands() -> dict[str, click.Command]:
    return {path: c for path, c in command_tree() if prints_rows(c) and path not in NOT_LISTINGS}


def option(command: click.Command, flag: str) -> click.Option | None:
    return next((p for p in command.params if isinstance(p, click.Option) and flag in p.opts), None)


# --- structure ---------------------------------------------------------------------------


def test_the_listing_commands_are_found():
    assert set(listing_commands()) >= KNOWN_LISTINGS


@pytest.mark.parametrize("path", sorted(listing_commands()))
def test_every_listing_command_prints_json_nl_and_csv(path):
    command = listing_commands()[path]
    flags = {flag: option(command, flag) for flag in FORMAT_FLAGS}
    missing = sorted(flag for flag, found in flags.items() if found is None)
    assert not missing, f"truce {path} prints rows but has no {', '.join(missing)}: decorate it with output_options"
    assert {(o.name, o.flag_value) for o in flags.values()} == {("fmt", "json"), ("fmt", "nl"), ("fmt", "csv")}


@pytest.mark.parametrize("path", [path for path, _ in command_tree()])
def test_every_command_and_option_has_help(path):
    command = dict(command_tree())[path]
    assert command.help and command.help.strip(), f"truce {path} has no help text"
    result = invoke([*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert command.help.strip().split()[0] in result.output
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"truce {path} {'/'.join(param.opts)} has no help text"


@pytest.mark.parametrize("path", [path for path, c in command_tree() if option(c, "--db")])
def test_every_db_option_reads_truce_db(path):
    assert option(dict(command_tree())[path], "--db").envvar == "TRUCE_DB"


# --- behaviour on the demo database ------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo written to a database that is not the default one (a space in its path),
    and what it printed to stderr."""
    db = tmp_path_factory.mktemp("conventions") / "my demo.db"
    result = invoke(["demo", "--db", db])
    assert result.exit_code == 0, result.output
    return db, result.stderr


@pytest.fixture(scope="module")
def eval_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("conventions") / "evals.db"
    result = invoke(["eval", ROOT / "evals" / "suites" / "seeds", "--crosscheck-only", "--brief", "--db", db])
    assert result.exit_code == 0, result.output
    return db


def listing_args(path: str, demo_db: Path, eval_db: Path) -> list:
    if path == "eval compare":
        return ["eval", "compare", ROOT / "evals" / "suites" / "seeds", "--db", eval_db]
    return [*path.split(), "--db", demo_db]


@pytest.mark.parametrize("path", sorted(KNOWN_LISTINGS))
def test_json_nl_and_csv_print_the_same_rows(path, demo, eval_db):
    args = listing_args(path, demo[0], eval_db)
    outputs = {}
    for flag in FORMAT_FLAGS:
        result = invoke([*args, flag])
        assert result.exit_code == 0, result.output
        outputs[flag] = result.stdout
    rows = json.loads(outputs["--json"])
    assert isinstance(rows, list) and rows, f"truce {path} --json printed no rows"
    assert [json.loads(line) for line in outputs["--nl"].splitlines()] == rows
    table = list(csv.DictReader(io.StringIO(outputs["--csv"])))
    assert len(table) == len(rows)
    assert list(table[0]) == list(rows[0])
    if "id" in rows[0]:
        assert [row["id"] for row in table] == [str(row["id"]) for row in rows]


def next_commands(stderr: str) -> list[list[str]]:
    block = stderr.split("Next, try:", 1)[1]
    return [shlex.split(line)[1:] for line in block.splitlines() if line.strip().startswith("truce ")]


def test_demo_ends_with_the_next_commands_on_the_database_it_wrote(demo):
    db, stderr = demo
    commands = next_commands(stderr)
    names = [args[0] for args in commands]
    expected = ["claims", "conflicts", "show", "report", "audit", "serve"]
    assert names == expected
    for args in commands:
        assert args[args.index("--db") + 1] == str(db)
    (show,) = [args for args in commands if args[0] == "show"]
    claim_id = show[1]
    assert query(db, "SELECT id FROM claims WHERE id = ?", [claim_id]) == [{"id": claim_id}]
    # The claim shown has a conflict to show.
    assert query(db, "SELECT COUNT(*) AS n FROM conflicts WHERE ? IN (claim_a, claim_b)", [claim_id])[0]["n"]


def test_the_commands_the_demo_suggests_run(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `truce report --out report.html` writes here
    for args in next_commands(demo[1]):
        if args[0] == "serve":
            continue  # a server runs until stopped
        result = invoke(args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout.strip() or list(tmp_path.iterdir())


def test_truce_db_stands_in_for_db(demo):
    db, _ = demo
    with_option = invoke(["claims", "--db", db, "--json"])
    from_env = invoke(["claims", "--json"], env={"TRUCE_DB": str(db)})
    assert from_env.exit_code == 0, from_env.output
    assert json.loads(from_env.stdout) == json.loads(with_option.stdout)
