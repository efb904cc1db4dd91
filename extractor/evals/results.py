"""Eval runs kept in the database, so `truce eval compare` can put them side by side."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlite_utils import Database

from extractor.evals.run import EvalRun, headline
from extractor.storage import store


def save_eval_run(db: Database, run: EvalRun) -> int:
    """The run and every item behind its scores, in one transaction."""
    with store.transaction(db):
        table = db["eval_runs"]
        table.insert(
            {
                "suite": run.suite.name,
                "suite_path": str(run.suite.path),
                "mode": run.mode,
                "recording": run.recording,
                "model": run.model,
                "prompt_hash": run.prompt_hash,
                "started_at": store.now(),
                "seconds": round(run.seconds, 3),
                "passed": int(run.passed) if run.thresholds_apply else None,
                "scores": json.dumps(run.summary(), ensure_ascii=False),
                "threshold_failures": json.dumps(run.threshold_failures) if run.threshold_failures else None,
            }
        )
        run_id = table.last_pk
        db["eval_items"].insert_all(
            {
                "eval_run_id": run_id,
                "category": i.category,
                "outcome": i.outcome,
                "label": i.label,
                "gold": i.gold,
                "predicted": i.predicted,
                "detail": i.detail,
            }
            for i in run.scores.items
        )
    return run_id


def compare_rows(db: Database, suite: str) -> Iterator[dict]:
    """Every stored eval run of a suite, oldest first, with its headline scores."""
    for row in db.query("SELECT * FROM eval_runs WHERE suite = ? ORDER BY id", [suite]):
        yield {
            **{k: row[k] for k in ("id", "started_at", "mode", "recording", "model", "prompt_hash")},
            **headline(json.loads(row["scores"])),
            "passed": None if row["passed"] is None else bool(row["passed"]),
        }
