"""`truce entities`: list the entities party names resolve to, merge two, split one off."""

from __future__ import annotations

import click
from click_default_group import DefaultGroup

from extractor.commands.options import db_option, err, print_crosscheck
from extractor.crosscheck.run import run_crosscheck
from extractor.entities import resolve as entities
from extractor.entities.resolve import query_entities, resolve_entities
from extractor.output import output_options, output_rows
from extractor.storage import store


@click.group(name="entities", cls=DefaultGroup, default="list", default_if_no_args=True)
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
