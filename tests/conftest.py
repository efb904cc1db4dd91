"""Shared fixtures. Every test runs offline: pytest-socket (see pyproject.toml) blocks
every connection except to 127.0.0.1, where the in-process reference server listens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from extractor.recording.reference_server import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "suites" / "seeds" / "articles"
CASSETTES = Path(__file__).resolve().parent / "cassettes"


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def seed_text() -> callable:
    def read(prefix: str) -> str:
        return next(SEEDS.glob(f"{prefix}_*.txt")).read_text("utf-8")

    return read


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "truce.db"


@pytest.fixture
def reference_url() -> Iterator[str]:
    """A live reference server (hand-written answers) on a free localhost port."""
    server, url = serve_in_thread()
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def faulty_reference_url(request) -> Iterator[str]:
    """A reference server with fault scenarios: parametrize with a list of --fault values."""
    server, url = serve_in_thread(faults=request.param)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a real key or endpoint from the developer's shell."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TRUCE_MODEL", "OPENAI_MODEL", "TRUCE_DB"):
        monkeypatch.delenv(name, raising=False)
