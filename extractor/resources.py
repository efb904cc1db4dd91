"""Where the project's data files are: prompts, sample corpus, recorded responses.

In a checkout they sit at the top of the repository; an installed wheel carries them
inside the package under `extractor/_bundled/` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def project_path(name: str) -> Path:
    """`prompts`, `data/seeds`, `evals/cassettes` ...: the bundled copy or the checkout's."""
    for base in (_PACKAGE / "_bundled", _PACKAGE.parent):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} is missing from this installation of truce.")
