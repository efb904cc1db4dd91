"""Faults at a larger scale than the tests: two writers on one new database, and kill -9
at several points followed by the same command.

Starts `benchmarks/fake_server.py` (latency 0.05 s) and runs `truce extract` processes
on synthetic articles, as a user would:
- two processes, each with its own N articles, on one new database at once: both must
  exit 0 and every article be stored once, with `PRAGMA integrity_check` ok;
- one run killed with SIGKILL after t seconds, then the same command again, for several
  t: the claims and the conflicts must equal those of a run never interrupted.

Run: python benchmarks/reliability.py [--articles 200] [--kill-after 1.5 3 4.5]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import ROOT, start_server, write_corpus  # noqa: E402


def extract(folder: Path, db: Path, url: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "extractor", "extract", str(folder), "--db", str(db), "--base-url", url]
    command += ["--model", "fake", "--mode", "json_schema", "--concurrency", "8", "--silent"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def snapshot(db: Path) -> tuple[list, list]:
    with sqlite3.connect(db) as connection:
        claims = connection.execute("SELECT id, kind, summary FROM claims ORDER BY id").fetchall()
        conflicts = connection.execute("SELECT claim_a, claim_b, type FROM conflicts ORDER BY 1, 2").fetchall()
    return claims, conflicts


def two_writers(tmp: Path, url: str, count: int) -> None:
    first, second = tmp / "w1", tmp / "w2"
    write_corpus(first, count)
    write_corpus(second, 2 * count)
    for path in sorted(second.glob("*.txt"))[:count]:
        path.unlink()  # the second writer gets articles count .. 2*count-1
    db = tmp / "writers.db"
    runs = [extract(first, db, url), extract(second, db, url)]
    codes = [run.wait(timeout=600) for run in runs]
    errors = [run.stderr.read() for run in runs]
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT COUNT(*) FROM extractions WHERE status = 'ok'").fetchone()[0]
        articles = connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
    locked = any("locked" in e or "already exists" in e for e in errors)
    for code, error in zip(codes, errors, strict=True):
        if code != 0:
            print(error[-2000:])
    print(
        f"two writers, 2 x {count} articles: exit codes {codes}, {articles} articles, {stored} extractions ok, "
        f"integrity_check {check}, 'locked' in output: {locked}"
    )


def kill_and_resume(tmp: Path, url: str, count: int, delays: list[float]) -> None:
    corpus = tmp / "k"
    write_corpus(corpus, count)
    # Every article says the same two sides agreed a truce; a few also deny it, so the
    # cross-check has conflicts to find across articles.
    for n, path in enumerate(sorted(corpus.glob("*.txt"))):
        if n % 10 == 0:
            text = path.read_text("utf-8").replace("agreed a ceasefire", "denied any ceasefire", 1)
            path.write_text(text, "utf-8")
    reference = tmp / "whole.db"
    extract(corpus, reference, url).wait(timeout=600)
    expected = snapshot(reference)
    for delay in delays:
        db = tmp / f"killed-{delay}.db"
        run = extract(corpus, db, url)
        time.sleep(delay)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        with sqlite3.connect(db) as connection:
            made = connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'extractions'").fetchone()
            before = (
                connection.execute("SELECT COUNT(*) FROM extractions WHERE status = 'ok'").fetchone()[0] if made else 0
            )
        code = extract(corpus, db, url).wait(timeout=600)
        same = snapshot(db) == expected
        print(
            f"kill -9 after {delay} s ({before} of {count} articles stored), then the same command: exit {code}, "
            f"claims and conflicts equal an uninterrupted run: {same} "
            f"({len(expected[0])} claims, {len(expected[1])} conflicts)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--kill-after", type=float, nargs="+", default=[2.5, 3.5, 4.5])
    args = parser.parse_args()
    server, url = start_server(0.05)
    try:
        with tempfile.TemporaryDirectory(prefix="truce-reliability-") as tmp:
            two_writers(Path(tmp), url, args.articles)
            kill_and_resume(Path(tmp), url, args.articles, args.kill_after)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
