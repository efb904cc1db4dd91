"""Ctrl-C during `truce extract` against a server that hangs: the process stops within
seconds, says how to continue, and the run is marked interrupted."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from truce_helpers import query

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "suites" / "seeds" / "articles"


class _Hanging(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        time.sleep(20)  # longer than the test waits: a call that never ends on its own

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hanging_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hanging)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _run_started(db: Path) -> bool:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] > 0
    except sqlite3.Error:
        return False


@pytest.mark.parametrize("processes", ["1", "2"])
def test_ctrl_c_stops_a_run_within_seconds_and_marks_it_interrupted(tmp_path, hanging_url, processes):
    db = tmp_path / "t.db"
    command = [sys.executable, "-m", "extractor", "extract", str(SEEDS), "--db", str(db), "--base-url", hanging_url,
               "--model", "m", "--timeout", "600", "--silent", "--processes", processes]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not _run_started(db) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # the calls are in flight
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    process.wait(timeout=15)
    assert time.monotonic() - started < 10
    assert "run the same command again" in process.stderr.read()
    assert process.returncode == 130
    assert [r["status"] for r in query(db, "SELECT status FROM runs")] == ["interrupted"]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_worker_processes_end_with_a_run_killed_by_sigkill(tmp_path, hanging_url):
    db = tmp_path / "t.db"
    command = [sys.executable, "-m", "extractor", "extract", str(SEEDS), "--db", str(db), "--base-url", hanging_url,
               "--model", "m", "--timeout", "600", "--silent", "--processes", "2"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = _children(process.pid)
    assert len(workers) == 2
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [w for w in workers if _running(w)] == []


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting for its new parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0]
    except (OSError, IndexError):
        return False
    return "zombie" not in state.lower()
