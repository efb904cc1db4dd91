"""`truce demo`: the seed corpus extracted by replaying recorded reference responses.

The responses were recorded from `extractor.reference_server`, which serves the
hand-written reference extractions in `evals/reference/` (model: reference). No model
runs and nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from extractor.model import ModelClient, ModelSettings
from extractor.pipeline import Event, RunReport, run_extraction
from extractor.read import read_articles
from extractor.recording import cassette
from extractor.resources import project_path
from extractor.store import open_db

REFERENCE_BASE_URL = "http://127.0.0.1:8099/v1"
DEMO_CASSETTE = "evals/cassettes/reference_seeds.yaml"


def reference_settings(**options) -> ModelSettings:
    return ModelSettings(
        model="reference", base_url=REFERENCE_BASE_URL, api_key="not-needed", mode="json_schema", **options
    )


def run_demo(db_path: Path, on_event: Callable[[Event], None] = lambda e: None) -> tuple[Database, RunReport]:
    """Extract the seeds into a new database at `db_path` from the recorded responses."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = open_db(db_path)
    client = ModelClient(reference_settings())
    with cassette(project_path(DEMO_CASSETTE)):
        report = run_extraction(
            db, read_articles([project_path("data/seeds")]), client,
            concurrency=1, command="demo", on_event=on_event,
        )
    return db, report
