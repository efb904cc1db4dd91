"""Reading articles: .txt, .md (with front matter), .html (reduced to text), .jsonl.

An article is identified by the hash of its text. The text stored is exactly the text
that evidence offsets index into.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import frontmatter
from bs4 import BeautifulSoup

from extractor.errors import ArticleError
from extractor.grounding.dates import detect_dateline

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
DEFAULT_MAX_CHARS = 300_000
_TEXT_KEYS = ("text", "body", "content")
_DATE_KEYS = ("published", "date", "published_at", "publication_date")


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    source: str
    title: str | None = None
    publisher: str | None = None
    url: str | None = None
    published: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReadFailure:
    source: str
    reason: str


def article_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def clean_text(text: str) -> str:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def make_article(text: str, source: str, max_chars: int = DEFAULT_MAX_CHARS, **meta) -> Article:
    """Build an Article from text and metadata, checking the text is usable."""
    text = clean_text(text)
    if not text.strip():
        raise ArticleError(f"{source} is empty: there is no text to extract from.")
    if len(text) > max_chars:
        raise ArticleError(
            f"{source} has {len(text):,} characters, more than the limit of {max_chars:,}; "
            "split it or raise --max-chars."
        )
    published = meta.pop("published", None)
    published = _iso_date(published, source) if published else detect_dateline(text)
    title = meta.pop("title", None) or _first_line(text)
    known = {k: meta.pop(k, None) for k in ("publisher", "url")}
    return Article(
        id=article_id(text),
        text=text,
        source=source,
        title=title,
        published=published,
        metadata={k: v for k, v in meta.items() if v is not None},
        **known,
    )


def _iso_date(value: object, source: str) -> str:
    text = str(value).strip()
    iso = re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text)
    found = text[:10] if iso else detect_dateline(text)  # an ISO date is read strictly: no day-month swap
    try:
        return date.fromisoformat(found).isoformat() if found else _no_date(source, text)
    except ValueError:
        return _no_date(source, text)


def _no_date(source: str, text: str) -> str:
    raise ArticleError(f"{source}: cannot read the published date {text!r}; use a real date as YYYY-MM-DD.")


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:200]
    return None


def _decode(raw: bytes, source: str, encoding: str) -> str:
    if b"\x00" in raw[:8192]:
        raise ArticleError(f"{source} looks like a binary file, not text.")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{source} is not valid {encoding} (byte 0x{raw[exc.start]:02x} at position "
            f"{exc.start}); re-save it as UTF-8 or pass --encoding."
        ) from None
    except LookupError:
        raise ArticleError(f"Unknown encoding {encoding!r}.") from None


def _from_html(html: str) -> tuple[str, dict]:
    soup = BeautifulSoup(html, "html.parser")
    meta: dict = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for attr, key in (
        ("og:site_name", "publisher"),
        ("og:url", "url"),
        ("article:published_time", "published"),
        ("og:title", "title"),
    ):
        tag = soup.find("meta", attrs={"property": attr})
        if tag and tag.get("content"):
            meta.setdefault(key, tag["content"].strip())
    for tag in soup(["script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    text = soup.get_text("\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, meta


def _read_jsonl(path: Path, raw_text: str, max_chars: int) -> Iterator[Article | ReadFailure]:
    for number, line in enumerate(raw_text.splitlines(), start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ArticleError(f"{source} is not a JSON object.")
            text = next((record.pop(k) for k in _TEXT_KEYS if isinstance(record.get(k), str)), None)
            if text is None:
                raise ArticleError(f"{source} has no 'text' field.")
            for key in _DATE_KEYS:
                if record.get(key):
                    record["published"] = record.pop(key)
                    break
            yield make_article(text, source, max_chars, **record)
        except json.JSONDecodeError as exc:
            yield ReadFailure(source, f"{source} is not valid JSON ({exc.msg}).")
        except ArticleError as exc:
            yield ReadFailure(source, str(exc))


def read_file(
    path: Path, encoding: str = "utf-8", max_chars: int = DEFAULT_MAX_CHARS
) -> Iterator[Article | ReadFailure]:
    """Articles in one file (several for .jsonl); failures are yielded, not raised."""
    source = str(path)
    try:
        if path.stat().st_size > max_chars * 8:
            raise ArticleError(f"{source} is {path.stat().st_size:,} bytes, too large to be one article.")
        raw_text = _decode(path.read_bytes(), source, encoding)
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            if not raw_text.strip():
                raise ArticleError(f"{source} is empty: there are no articles in it.")
            yield from _read_jsonl(path, clean_text(raw_text), max_chars)
            return
        meta: dict = {}
        text = raw_text
        if suffix in (".md", ".markdown"):
            try:
                post = frontmatter.loads(clean_text(raw_text))
            except Exception as exc:  # yaml raises several error types
                first_line = str(exc).splitlines()[0]
                raise ArticleError(f"{source}: the front matter is not valid YAML ({first_line}).") from None
            text, meta = post.content, dict(post.metadata)
            meta = {("published" if k in _DATE_KEYS else k): v for k, v in meta.items()}
        elif suffix in (".html", ".htm"):
            text, meta = _from_html(raw_text)
        yield make_article(text, source, max_chars, **meta)
    except ArticleError as exc:
        yield ReadFailure(source, str(exc))
    except OSError as exc:
        yield ReadFailure(source, f"Cannot read {source}: {exc.strerror or exc}.")


def expand_paths(paths: list[Path]) -> Iterator[Path | ReadFailure]:
    """Files named, and the supported files inside folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif not path.exists():
            yield ReadFailure(str(path), f"{path} does not exist.")
        elif path.suffix.lower() not in SUFFIXES:
            yield ReadFailure(str(path), f"{path}: unsupported file type; use {', '.join(SUFFIXES)}.")
        else:
            yield path


def read_articles(
    paths: list[Path],
    encoding: str = "utf-8",
    max_chars: int = DEFAULT_MAX_CHARS,
    overrides: dict | None = None,
) -> Iterator[Article | ReadFailure]:
    """Every article under the given paths. `overrides` (title, publisher, url,
    published) replace what the input says."""
    overrides = {k: v for k, v in (overrides or {}).items() if v}
    if "published" in overrides:
        overrides["published"] = _iso_date(overrides["published"], "--published")
    for item in expand_paths(paths):
        if isinstance(item, ReadFailure):
            yield item
            continue
        for result in read_file(item, encoding, max_chars):
            yield replace(result, **overrides) if isinstance(result, Article) and overrides else result
