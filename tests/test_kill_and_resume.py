"""kill -9 in the middle of `truce extract`, then the same command again: the database
ends with the same claims and the same conflicts as a run that was never interrupted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from truce_helpers import content_snapshot, query

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "evals" / "suites" / "dev" / "articles"


def _command(db: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "extractor", "extract", str(DEV), "--db", str(db), "--base-url", url,
            "--model", "reference", "--concurrency", "1", "--silent"]  # fmt: skip


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM extractions").fetchone()[0]
    except sqlite3.Error:
        return 0


def _conflicts(db: Path) -> set[tuple]:
    rows = query(db, "SELECT claim_a, claim_b, type, reason FROM conflicts")
    return {(r["claim_a"], r["claim_b"], r["type"], r["reason"]) for r in rows}


def test_kill_9_mid_run_then_the_same_command_ends_like_an_uninterrupted_run(tmp_path, reference_url):
    whole = tmp_path / "whole.db"
    assert subprocess.run(_command(whole, reference_url), cwd=ROOT, capture_output=True).returncode == 0

    resumed = tmp_path / "resumed.db"
    process = subprocess.Popen(_command(resumed, reference_url), cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _stored(resumed) < 8 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert 0 < _stored(resumed) < 27, "the kill did not land mid-run"

    again = subprocess.run(_command(resumed, reference_url), cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert content_snapshot(resumed) == content_snapshot(whole)
    assert _conflicts(resumed) == _conflicts(whole) and _conflicts(whole)
    statuses = [r["status"] for r in query(resumed, "SELECT status FROM runs WHERE command = 'extract' ORDER BY id")]
    assert statuses == ["interrupted", "completed"]
