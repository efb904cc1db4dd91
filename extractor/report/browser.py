"""The report in a real browser: headless Chromium's rendered DOM and a screenshot.

For the tests and for the screenshot in the docs, not for `truce` itself. Regenerate
docs/report.png with:

    truce demo --silent >/dev/null && python -m extractor.report.browser truce-demo.db docs/report.png
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from extractor.errors import TruceError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_SECONDS = 60
DOCS_WINDOW = (1280, 1400)  # keeps docs/report.png under 500 KB


def find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _chromium(page: Path, *flags: str) -> str:
    binary = find_chromium()
    if binary is None:
        raise TruceError(f"No Chromium on PATH (looked for {', '.join(CHROMIUM_NAMES)}); install Debian's chromium.")
    with tempfile.TemporaryDirectory(prefix="truce-chromium-") as profile:
        command = [
            binary,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *flags,
            Path(page).resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise TruceError(f"Chromium did not finish rendering {page} within {TIMEOUT_SECONDS} s.") from None
    if done.returncode != 0:
        raise TruceError(f"Chromium failed on {page} (exit {done.returncode}): {done.stderr.strip()[-300:]}")
    return done.stdout


def dump_dom(page: Path) -> str:
    """The DOM as Chromium rendered it from the file, serialised as HTML."""
    return _chromium(page, "--dump-dom")


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2000) -> None:
    """A PNG of the top `width` × `height` pixels of the page."""
    png = Path(png).resolve()
    png.unlink(missing_ok=True)
    _chromium(page, f"--screenshot={png}", f"--window-size={width},{height}")
    if not png.exists():
        raise TruceError(f"Chromium wrote no screenshot of {page}.")


def main() -> None:
    from extractor.report.html import write_report
    from extractor.storage import store

    parser = argparse.ArgumentParser(description="Screenshot the report of a database (docs/report.png).")
    parser.add_argument("db", type=Path)
    parser.add_argument("png", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        write_report(store.open_db(args.db, must_exist=True), page)
        screenshot(page, args.png, *DOCS_WINDOW)
    print(f"{args.png}: {args.png.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
