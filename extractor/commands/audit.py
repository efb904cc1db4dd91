"""`truce audit`: sentences about a truce that no stored claim's evidence covers."""

from __future__ import annotations

import click

from extractor.commands.options import db_option, err
from extractor.output import output_options, output_rows
from extractor.report.audit import run_audit
from extractor.storage import store

COLUMNS = {
    "article": lambda r: r["article_id"],
    "offsets": lambda r: f"{r['start']}:{r['end']}",
    "truce words": lambda r: ", ".join(r["truce_words"]),
    "sentence": lambda r: r["text"],
}


@click.command()
@db_option()
@click.option("--article", "articles", multiple=True, help="Only this article (an id or its prefix); repeatable.")
@output_options
def audit(db_path, articles, fmt) -> None:
    """List, per article, the sentences that speak of a truce and that no stored claim's
    evidence covers: what the model may have missed. Articles not extracted yet, or whose
    extraction failed, are left out (named on stderr)."""
    db = store.open_db(db_path, must_exist=True)
    result = run_audit(db, articles)
    found = result.uncovered
    output_rows((s.row() for s in found), fmt, COLUMNS, title="Sentences about a truce that no claim covers")
    if fmt in (None, "table") and found:
        err.print(
            f"{len(found)} sentence(s) in {len({s.article_id for s in found})} article(s); "
            "see them in context with: truce report"
        )
    for article in result.not_audited:
        err.print(
            f"Not audited: article {article['id']} ({article['source'] or article['title']}), {article['extraction']}."
        )
