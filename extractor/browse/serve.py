"""Serving a truce database in Datasette, with the metadata and canned queries of this
package. Datasette is an optional extra: it is imported only here, when asked for."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.browse.metadata import SETTINGS, datasette_metadata
from extractor.errors import TruceError
from extractor.storage import store

if TYPE_CHECKING:
    from datasette.app import Datasette

INSTALL_COMMAND = "pip install 'truce[datasette]'"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001


class DatasetteMissingError(TruceError):
    """Datasette, an optional extra, is not installed."""


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file (its stem), under which the metadata goes."""
    return Path(db_path).stem


def build_datasette(db_path: str | Path) -> Datasette:
    """Datasette on an existing truce database, with the project's metadata. The database
    is migrated first, so that a database made by an older truce has every search index."""
    try:
        from datasette.app import Datasette
    except ImportError:
        raise DatasetteMissingError(
            f"truce serve needs Datasette, an optional extra; install it with: {INSTALL_COMMAND}"
        ) from None
    store.open_db(db_path, must_exist=True).close()
    return Datasette([str(db_path)], metadata=datasette_metadata(database_name(db_path)), settings=SETTINGS)


@dataclass
class Server:
    datasette: Datasette
    host: str
    port: int

    @property
    def url(self) -> str:
        """The database's page: its tables and canned queries."""
        name = next(name for name in self.datasette.databases if name != "_internal")
        return f"http://{self.host}:{self.port}{self.datasette.urls.database(name)}"

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        import uvicorn  # a dependency of datasette

        uvicorn.run(self.datasette.app(), host=self.host, port=self.port, log_level="warning", lifespan="on")


def make_server(db_path: str | Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> Server:
    datasette = build_datasette(db_path)
    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        raise TruceError(f"Cannot listen on {host}:{port} ({exc.strerror}); choose another with --port.") from None
    return Server(datasette, host, port)
