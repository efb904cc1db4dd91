"""`truce serve`: browse the database in Datasette."""

from __future__ import annotations

import webbrowser

import click

from extractor.browse.serve import DEFAULT_HOST, DEFAULT_PORT, make_server
from extractor.commands.options import db_option, err


@click.command()
@db_option()
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535), help="Port to serve on."
)
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on (0.0.0.0: every one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the database's page in a web browser.")
def serve(db_path, port, host, open_browser) -> None:
    """Browse the database in Datasette: described tables, facets, full-text search and
    canned queries (conflicts, claims by party, attribution chains). Needs the optional
    extra: pip install 'truce[datasette]'."""
    server = make_server(db_path, host, port)
    err.print(f"Serving {db_path} at {server.url} (Ctrl-C to stop).")
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"Datasette asks no password: anyone who can reach {host}:{port} can read the whole database.")
    if open_browser:
        webbrowser.open(server.url)
    server.run()
