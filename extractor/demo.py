"""`truce demo`: the seed corpus extracted and cross-checked by replaying recorded
reference responses.

The responses were recorded from `extractor.recording.reference_server`, which serves the
hand-written gold of the `seeds` eval suite (`evals/suites/seeds/`) (model:
reference). No model runs and nothing leaves the machine. `python -m extractor.recording.record`
records the cassette by running this same function against the live reference server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from extractor.crosscheck.run import CrosscheckReport, run_crosscheck
from extractor.errors import TruceError
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.pipeline import Event, RunReport, run_extraction
from extractor.read import read_articles
from extractor.recording.cassettes import cassette
from extractor.resources import project_path

REFERENCE_BASE_URL = "http://127.0.0.1:8099/v1"
DEMO_CASSETTE = "evals/cassettes/reference_seeds.yaml"
SEED_ARTICLES = "evals/suites/seeds/articles"
REFERENCE_LABEL = (
    "Recorded from extractor.recording.reference_server: hand-written reference answers, not a model.\n"
    "model: reference{extra}. Re-record with: python -m extractor.recording.record"
)


def reference_settings(**options) -> ModelSettings:
    return ModelSettings(
        model="reference", base_url=REFERENCE_BASE_URL, api_key="not-needed", mode="json_schema", **options
    )


@dataclass
class DemoResult:
    db: Database
    extraction: RunReport
    crosscheck: CrosscheckReport


def run_demo(
    db_path: Path, on_event: Callable[[Event], None] = lambda e: None, record_to: Path | None = None
) -> DemoResult:
    """Extract and cross-check the seeds into a new database at `db_path`, replaying
    the recorded responses (or, with `record_to`, recording them from a live server).
    One request at a time, so the recording and its replay see the same order."""
    from extractor.storage.store import open_db

    if db_path.exists():
        commands = {r[0] for r in open_db(db_path).execute("SELECT DISTINCT command FROM runs")}
        if not commands <= {"demo", "demo crosscheck"}:
            raise TruceError(f"{db_path} holds more than a demo; pass another --db for the demo.")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = open_db(db_path)
    client = ModelClient(reference_settings())
    path = record_to or project_path(DEMO_CASSETTE)
    with cassette(path, record=record_to is not None, label=REFERENCE_LABEL.format(extra="")):
        extraction = run_extraction(
            db,
            read_articles([project_path(SEED_ARTICLES)]),
            client,
            concurrency=1,
            command="demo",
            on_event=on_event,
        )
        crosscheck = run_crosscheck(db, adjudicator=client, concurrency=1, command="demo crosscheck")
    return DemoResult(db, extraction, crosscheck)
