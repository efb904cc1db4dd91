"""Extraction throughput against a fake OpenAI-compatible server with a fixed latency.

Extraction is I/O-bound: with C calls in flight and a server that answers in L seconds
the ideal is C / L articles per second. This starts `benchmarks/fake_server.py` on
127.0.0.1 (L = 0.5 s, one claim quoting each article), checks that the server alone
reaches at least 0.95 of the ideal, then runs `truce extract` as a user would (a new
process, a new database, --no-crosscheck) at C = 1, 8, 32 and 64 on 2,048 distinct
synthetic 2.6k-character articles (256 at C = 1, which would otherwise take 17
minutes), and prints achieved / ideal with the peak memory and the database's size per
article. From C = 32 the calls run in worker processes; the peak memory is then that of
the command and its workers together (their PSS: shared pages counted once). "whole run"
divides by the command's wall time (the Python start-up and imports, about 2 s here,
included); "calls phase" by the time from the first model call's start to the
command's end (its exit included: the database stores the end of each article only to
the second). Last, the C = 64 command is run again on its database: it must make no
model call.

Run: python benchmarks/throughput.py [--latency 0.5] [--concurrency 1 8 32 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = (
    "ceasefire talks army rebels town province council elders convoy aid road bridge border villages shelling "
    "monitors mediators envoy statement ministry commander spokesman market river valley district airport "
    "hospital school refugees displaced supplies fuel harvest"
)
WORDS = VOCABULARY.split()
RUNNER = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
    "from extractor.cli import main\n"
    "sys.argv = ['truce', *sys.argv[1:]]\n"
    "main()\n"
)


def article(n: int) -> str:
    """A distinct article of about 2,600 characters whose first sentence the server quotes."""
    rng = random.Random(n)
    lines = [
        f"Truce reported in district {n} as talks continue",
        "",
        "The Valley Courier",
        "March 3, 2024",
        "",
        f"The Northern Front and the army agreed a ceasefire around district {n} on Sunday, officials said.",
    ]
    while sum(len(line) + 1 for line in lines) < 2600:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18)))
        lines.append(sentence.capitalize() + ".")
    return "\n".join(lines)[:2650] + "\n"


def write_corpus(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"a{n:05}.txt").write_text(article(n), "utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "fake_server.py"), "--port", str(port), "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    server.stdout.readline()  # "fake server on ..."
    return server, f"http://127.0.0.1:{port}/v1"


def server_alone(url: str, concurrency: int, latency: float, rounds: int = 16) -> float:
    """Achieved / ideal for the server alone, driven by a bare asyncio client (raw
    HTTP/1.1 keep-alive connections), so that the figure is the server's, not a client's."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    body = json.dumps(
        {"model": "fake", "messages": [{"role": "user", "content": "<article>\n" + article(0) + "\n</article>"}]}
    ).encode()
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        for _ in range(rounds):
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            await reader.readexactly(length)
        writer.close()

    async def all_connections() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(concurrency)))
        return time.perf_counter() - started

    elapsed = asyncio.run(all_connections())
    return (concurrency * rounds / elapsed) / (concurrency / latency)


def _tree_memory_kb(pid: int) -> int:
    """Memory of a process and its children (worker processes), from /proc: the sum of
    their proportional set sizes (PSS), so pages a forked worker shares with its parent
    count once, split between them (RSS where PSS is not readable)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            try:
                text = Path(f"/proc/{current}/smaps_rollup").read_text()
                total += int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))
            except (OSError, AttributeError):
                total += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{current}/status").read_text()).group(1))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def run_extract(folder: Path, db: Path, url: str, concurrency: int) -> tuple[float, float, float]:
    """Wall seconds, peak MB (the command and its worker processes together: PSS sampled
    every 0.1 s, and never below the command's own peak RSS) of one `truce extract`, and
    the wall-clock time (time.time()) it ended at."""
    args = [str(folder), "--db", str(db), "--base-url", url, "--model", "fake", "--mode", "json_schema"]
    args += ["--concurrency", str(concurrency), "--silent", "--no-crosscheck", "--timeout", "60"]
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "extract", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    sampled = [0]

    def sample() -> None:
        while process.poll() is None:
            sampled[0] = max(sampled[0], _tree_memory_kb(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    elapsed, ended = time.perf_counter() - started, time.time()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"truce extract failed ({process.returncode}):\n{stdout}\n{stderr}")
    own_kb = next(int(line.split()[1]) for line in stderr.splitlines() if line.startswith("MAXRSS_KB"))
    return elapsed, max(own_kb, sampled[0]) / 1024, ended


def calls_phase_seconds(db: Path, ended: float) -> float:
    """From the first model call's start (stored to the millisecond) to the command's end."""
    with sqlite3.connect(db) as connection:
        (first,) = connection.execute("SELECT MIN(started_at) FROM model_calls").fetchone()
    return ended - datetime.fromisoformat(first).timestamp()


def model_calls(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM model_calls").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--articles", type=int, default=2048, help="articles per run (fewer at C < 8: 256 per slot)")
    args = parser.parse_args()
    server, url = start_server(args.latency)
    try:
        alone = server_alone(url, max(args.concurrency), args.latency)
        print(f"server alone at C={max(args.concurrency)}: {alone:.2f} of ideal")
        if alone < 0.95:
            raise SystemExit("The fake server alone is below 0.95 of ideal here; the figures would measure it.")
        header = ("C", "articles", "seconds", "ideal/s", "whole run", "calls phase", "peak MB", "DB KB/article")
        print(" ".join(f"{h:>{w}}" for h, w in zip(header, (3, 8, 8, 8, 10, 12, 8, 14), strict=True)))
        with tempfile.TemporaryDirectory(prefix="truce-throughput-") as tmp:
            last_db = None
            for concurrency in args.concurrency:
                count = min(args.articles, 256 * concurrency)
                folder = Path(tmp) / f"corpus-{count}"
                if not folder.exists():
                    write_corpus(folder, count)
                db = Path(tmp) / f"c{concurrency}.db"
                elapsed, peak, ended = run_extract(folder, db, url, concurrency)
                ideal = concurrency / args.latency
                whole = count / elapsed / ideal
                calls_phase = count / calls_phase_seconds(db, ended) / ideal
                per_article = sum(p.stat().st_size for p in Path(tmp).glob(f"c{concurrency}.db*")) / 1024 / count
                print(
                    f"{concurrency:>3} {count:>8} {elapsed:>8.1f} {ideal:>8.1f} {whole:>10.2f} {calls_phase:>12.2f} "
                    f"{peak:>8.0f} {per_article:>14.1f}",
                    flush=True,
                )
                last_db, last_folder, last_c = db, folder, concurrency
            if last_db is not None:
                before = model_calls(last_db)
                elapsed, _, _ = run_extract(last_folder, last_db, url, last_c)
                print(f"re-run at C={last_c}: {model_calls(last_db) - before} model calls, {elapsed:.1f} s")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
