"""`truce claims`, `truce articles` and `truce show`: what the database holds."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date

import click
from rich.console import Console

from extractor.commands.options import db_option
from extractor.crosscheck.run import query_conflicts
from extractor.extraction.schema import CLAIM_KINDS
from extractor.output import output_options, output_rows
from extractor.show import render_claim
from extractor.storage import store


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


CLAIM_COLUMNS: dict[str, Callable[[dict], str]] = {
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


@click.command()
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
    output_rows(store.query_claims(db, store.ClaimFilters(**filters)), fmt, CLAIM_COLUMNS, title="Claims")


@click.command()
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


@click.command()
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
