"""Writing to and reading from the SQLite database.

One article's claims, parties, attributions, evidence and model calls are written in
one transaction: an interrupted run never leaves half an article.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import re
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit
from weakref import WeakSet

import orjson
from sqlite_utils import Database

from extractor.entities.canonical import canonical_name
from extractor.errors import DatabaseError, NotFoundError
from extractor.extraction.cost import RunCost
from extractor.extraction.schema import GroundedClaim, schema_cache
from extractor.grounding.dates import resolve_event_date
from extractor.read import Article
from extractor.storage import migrations

if TYPE_CHECKING:
    from extractor.extraction.extract import ArticleExtractionResult
    from extractor.extraction.settings import CallRecord


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_OPEN: WeakSet[Database] = WeakSet()  # the databases opened here and not yet collected


@atexit.register
def _close_all() -> None:
    """At exit, close the databases still open, as the interpreter's teardown would (the
    `truce` command skips it, extractor/cli.py): the last connection to a database file
    checkpoints its write-ahead log into it and removes the -wal file."""
    for db in list(_OPEN):
        with contextlib.suppress(sqlite3.Error):
            db.conn.close()


def open_db(path: str | Path, must_exist: bool = False) -> Database:
    """Open (or create) a database and bring its schema up to date."""
    path = Path(path)
    if must_exist and not path.exists():
        raise DatabaseError(f"There is no database at {path}; run `truce extract` or `truce demo` first, or pass --db.")
    try:
        db = Database(path)
        # Before the first read: another process creating this database holds its lock.
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        tables = set(db.table_names())
    except Exception as exc:  # sqlite3.DatabaseError: not a database
        raise DatabaseError(f"Cannot use {path} as a truce database: {exc}.") from None
    if tables and "_sqlite_migrations" not in tables:
        # Never add truce's tables to (or clear) a database that holds something else.
        raise DatabaseError(f"{path} is a SQLite database of something else, not of truce; pass another --db.")
    try:
        db.execute("PRAGMA foreign_keys = ON")
        _use_wal(db)
        # In WAL mode a commit is atomic and survives the process being killed without
        # an fsync; only a power cut may lose the last commits, never consistency.
        db.execute("PRAGMA synchronous = NORMAL")
        _migrate(db)
        _mark_dead_runs(db)
    except Exception as exc:  # locked, read-only
        raise DatabaseError(f"Cannot use {path} as a truce database: {exc}.") from None
    _OPEN.add(db)
    return db


def _use_wal(db: Database, attempts: int = 50) -> None:
    """Write-ahead logging, set once per database file. Switching to it needs the file to
    itself and answers "locked" at once, without waiting, while another connection is
    opening the same new database: then it tries again shortly."""
    for attempt in range(attempts):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))


def _mark_dead_runs(db: Database) -> None:
    """A run whose process is gone (killed outright) is `interrupted`, not `running` forever."""
    rows = db.execute(
        "SELECT id, pid FROM runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL", [socket.gethostname()]
    ).fetchall()
    dead = [run_id for run_id, pid in rows if not _alive(pid)]
    if dead:
        with transaction(db):
            db.conn.executemany(
                "UPDATE runs SET status = 'interrupted', finished_at = COALESCE(finished_at, ?) WHERE id = ?",
                [(now(), run_id) for run_id in dead],
            )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


BUSY_TIMEOUT_MS = 60_000


def _migrate(db: Database, attempts: int = 20) -> None:
    """Apply pending migrations, all under the write lock, so that two processes opening
    a new database at once apply them once: the second waits, then finds none pending.
    Should a race still slip through (a table or column made meanwhile, an outdated read
    snapshot), it tries again."""
    for attempt in range(attempts):
        try:
            if not migrations.pending(db):
                return
            with transaction(db):  # the write lock first: the pending list is read under it
                migrations.apply(db)
            return
        except sqlite3.DatabaseError as exc:
            raced = any(
                words in str(exc)
                for words in ("already exists", "duplicate column", "database is locked", "UNIQUE constraint")
            )
            if not raced or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One write transaction that takes the write lock at BEGIN (IMMEDIATE), so a second
    process waits for it instead of failing with "database is locked" halfway. Inside
    another one it joins it: the outer transaction commits or rolls back both."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def _dumps(value: Any) -> str:
    """JSON text as the model layer writes requests (orjson: compact, UTF-8), so that the
    repeated parts of a request are found in it as they are."""
    return orjson.dumps(value).decode()


def _insert(db: Database, table: str, rows: list[dict[str, Any]] | dict[str, Any]) -> int | None:
    """Plain INSERTs for the per-article hot path (sqlite-utils checks the table and
    opens a savepoint on every call); returns the last row id."""
    rows = [rows] if isinstance(rows, dict) else rows
    if not rows:
        return None
    columns = list(dict.fromkeys(key for row in rows for key in row))
    sql = f"INSERT INTO {table} ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    if len(rows) == 1:
        return db.conn.execute(sql, [rows[0].get(c) for c in columns]).lastrowid
    db.conn.executemany(sql, [[row.get(c) for c in columns] for row in rows])
    return None


# --- runs -------------------------------------------------------------------------


@dataclass
class RunTotals:
    extracted: int = 0
    skipped: int = 0
    failed: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0  # of input_tokens, served from the server's prompt cache
    output_tokens: int = 0


def without_credentials(url: str | None) -> str | None:
    """http://user:KEY@host/v1?api-key=KEY -> http://host/v1: credentials in a URL (user
    info, a query string, a fragment) never reach the database."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=netloc, query="", fragment=""))


def start_run(
    db: Database,
    command: str,
    model: str | None = None,
    base_url: str | None = None,
    mode: str | None = None,
    prompt_hash: str | None = None,
) -> int:
    table = db["runs"]
    table.insert(
        {
            "command": command,
            "model": model,
            "base_url": without_credentials(base_url),
            "mode": mode,
            "prompt_hash": prompt_hash,
            "started_at": now(),
            "status": "running",
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
    )
    return table.last_pk


def finish_run(
    db: Database, run_id: int, totals: RunTotals, errors: list[dict], status: str, cost: RunCost | None = None
) -> None:
    """Close a run with its counts, its tokens and, when it was priced, its cost."""
    priced = {}
    if cost is not None:
        prices = cost.prices
        priced = {
            "cost_usd": cost.usd,
            "price_in": prices.input if prices else None,
            "price_cached_in": prices.cached_input if prices else None,
            "price_out": prices.output if prices else None,
            "price_source": cost.source,
            "price_batch": int(cost.batch),
        }
    with transaction(db):
        db["runs"].update(
            run_id,
            {
                **priced,
                "finished_at": now(),
                "status": status,
                "articles_extracted": totals.extracted,
                "articles_skipped": totals.skipped,
                "articles_failed": totals.failed,
                "input_tokens": totals.input_tokens,
                "cached_tokens": totals.cached_tokens,
                "output_tokens": totals.output_tokens,
                "errors": _dumps(errors) if errors else None,
            },
        )


PART_MIN_CHARS = 1000  # a repeated value shorter than this is left in place
MAX_PARTS = 2  # the system message and the schema; the view model_call_requests puts back two


_KNOWN_PARTS: dict[str, None] = {}  # parts seen so far, most recent last (checked first)


def _fixed_parts(request_json: str) -> list[str]:
    """The JSON texts inside a request that every call repeats: the system message's
    content and the response model's schema."""
    known = [part for part in reversed(_KNOWN_PARTS) if part in request_json][:MAX_PARTS]
    if len(known) == MAX_PARTS:
        return known  # the common case: no need to parse the request
    candidates = []
    try:
        messages = json.loads(request_json).get("messages") or []
    except (ValueError, AttributeError):
        return []
    first = messages[0] if messages and isinstance(messages[0], dict) else {}
    if first.get("role") == "system" and isinstance(first.get("content"), str):
        candidates.append(_dumps(first["content"]))
    candidates += _schema_texts()
    found = [c for c in candidates if len(c) >= PART_MIN_CHARS and c in request_json][:MAX_PARTS]
    for part in found:
        _KNOWN_PARTS.pop(part, None)
        _KNOWN_PARTS[part] = None
    while len(_KNOWN_PARTS) > 16:
        del _KNOWN_PARTS[next(iter(_KNOWN_PARTS))]
    return found


@functools.cache
def _schema_text(cached: str) -> str:
    return _dumps(json.loads(cached))


def _schema_texts() -> list[str]:
    return [_schema_text(text) for text in list(schema_cache().values())]


def _split_request(
    db: Database, request_json: str | None, article: Article | None = None
) -> tuple[str | None, str | None]:
    """request_json with its repeated parts stored once in prompt_parts, and their
    hashes; the article's text, which the articles table holds, becomes a reference."""
    if request_json is None:
        return None, None
    if article is not None:
        escaped = _dumps(article.text)[1:-1]
        if len(escaped) > 100 and escaped in request_json and "@article:" not in request_json:
            request_json = request_json.replace(escaped, f"@article:{article.id}")
    hashes = []
    for part in _fixed_parts(request_json):
        digest = hashlib.sha256(part.encode()).hexdigest()[:16]
        db.conn.execute("INSERT OR IGNORE INTO prompt_parts (hash, json) VALUES (?, ?)", [digest, part])
        request_json = request_json.replace(part, f'"@part:{digest}"')
        hashes.append(digest)
    return request_json, (_dumps(hashes) if hashes else None)


def full_request(db: Database, call_id: int) -> dict:
    """A logged request exactly as it was sent, its repeated parts put back."""
    (text,) = db.execute("SELECT request_json FROM model_call_requests WHERE id = ?", [call_id]).fetchone()
    return json.loads(text)


def log_calls(db: Database, run_id: int | None, calls: list[CallRecord], article: Article | None = None) -> None:
    """Every HTTP attempt, about `article` (None for an adjudication)."""
    rows = []
    for c in calls:
        request_json, parts = _split_request(db, c.request_json, article)
        rows.append(
            {
                "run_id": run_id,
                "article_id": article.id if article else None,
                "purpose": c.purpose,
                "model": c.model,
                "attempt": c.attempt,
                "status": c.status,
                "error": c.error,
                "request_json": request_json,
                "parts": parts,
                "response_json": c.response_json,
                "input_tokens": c.input_tokens,
                "output_tokens": c.output_tokens,
                "cached_tokens": c.cached_tokens,
                "duration_ms": c.duration_ms,
                "started_at": c.started_at,
            }
        )
    _insert(db, "model_calls", rows)


# --- articles and claims ------------------------------------------------------------


def is_extracted(db: Database, article_id: str, model: str, prompt_hash: str) -> bool:
    """Whether this article already has a current extraction by this model and prompt."""
    row = db.execute(
        "SELECT 1 FROM extractions WHERE article_id = ? AND model = ? AND prompt_hash = ? AND status = 'ok' LIMIT 1",
        [article_id, model, prompt_hash],
    ).fetchone()
    return row is not None


def _upsert_article(db: Database, article: Article) -> None:
    row = {
        "id": article.id,
        "text": article.text,
        "title": article.title,
        "publisher": article.publisher,
        "url": article.url,
        "published": article.published,
        "source": article.source,
        "metadata": _dumps(article.metadata) if article.metadata else None,
        "added_at": now(),
    }
    columns = list(row)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != "id")
    db.conn.execute(
        f"INSERT INTO articles ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT(id) DO UPDATE SET {updates}",
        list(row.values()),
    )


def save_article(db: Database, article: Article) -> None:
    """Store an article without extracting it (`truce batch prepare`: the batch's
    answers are ingested against this text)."""
    with transaction(db):
        _upsert_article(db, article)


OVERRIDABLE = ("title", "publisher", "url", "published")


def apply_overrides(db: Database, article: Article, fields: tuple[str, ...]) -> None:
    """Metadata the user overrides (--publisher, --published ...) on an article already
    extracted, without a model call: the article row, and what its claims take from it:
    the publisher, and the dates resolved against the publication date."""
    given = {name: getattr(article, name) for name in fields if name in OVERRIDABLE}
    if not given:
        return
    with transaction(db):
        db["articles"].update(article.id, given)
        claim_ids = "SELECT id FROM claims WHERE article_id = ?"
        if "publisher" in given:
            db.execute("UPDATE claims SET publisher = ? WHERE article_id = ?", [article.publisher, article.id])
            db.execute(
                f"UPDATE attributions SET name = ? WHERE role = 'publisher' AND claim_id IN ({claim_ids})",
                [article.publisher, article.id],
            )
        if "published" in given:
            rows = db.execute(
                f"SELECT id, event_date_text, truce_began_text FROM claims WHERE id IN ({claim_ids})", [article.id]
            ).fetchall()
            for claim_id, when, began in rows:
                event, start = resolve_event_date(when, article.published), resolve_event_date(began, article.published)
                db.execute(
                    "UPDATE claims SET event_date = ?, event_date_precision = ?, truce_began_date = ?, "
                    "truce_began_precision = ? WHERE id = ?",
                    [event.date, event.precision, start.date, start.precision, claim_id],
                )


def delete_claims_of_article(db: Database, article_id: str) -> None:
    """Remove an article's current claims (rows that hang off them cascade)."""
    db.execute("DELETE FROM claims WHERE article_id = ?", [article_id])
    db.execute(
        "UPDATE extractions SET status = 'superseded' WHERE article_id = ? AND status = 'ok'",
        [article_id],
    )


def save_extraction(db: Database, run_id: int, result: ArticleExtractionResult, model: str, prompt_hash: str) -> None:
    """Write one article's outcome in one transaction. A failed article keeps whatever
    claims an earlier extraction stored; a successful one replaces them."""
    article = result.article
    with transaction(db):
        _upsert_article(db, article)
        if result.error is None:
            delete_claims_of_article(db, article.id)
        extraction_id = _insert(
            db,
            "extractions",
            {
                "article_id": article.id,
                "run_id": run_id,
                "model": model,
                "prompt_hash": prompt_hash,
                "status": "failed" if result.error else "ok",
                "error": result.error,
                "claims_count": len(result.claims),
                "ungrounded_count": sum(c.grounding != "grounded" for c in result.claims),
                "dropped_ungrounded": result.dropped_ungrounded,
                "input_tokens": result.input_tokens,
                "output_tokens": result.output_tokens,
                "finished_at": now(),
            },
        )
        for number, item in enumerate(result.claims, start=1):
            _insert_claim(db, f"{article.id}-{number}", article, extraction_id, item, model, prompt_hash)
        log_calls(db, run_id, result.calls, article)


def _speaker_label(item: GroundedClaim) -> str | None:
    speaker = item.claim.attribution.speaker
    return speaker.name or speaker.description or ("anonymous" if speaker.anonymous else None)


def _insert_claim(
    db: Database,
    claim_id: str,
    article: Article,
    extraction_id: int,
    item: GroundedClaim,
    model: str,
    prompt_hash: str,
) -> None:
    claim = item.claim
    duration = claim.duration
    publisher = article.publisher or claim.attribution.publisher
    _insert(
        db,
        "claims",
        {
            "id": claim_id,
            "article_id": article.id,
            "extraction_id": extraction_id,
            "kind": claim.kind,
            "summary": claim.summary,
            "place": claim.place,
            "scope": claim.scope,
            "event_date": item.event_date.date,
            "event_date_precision": item.event_date.precision,
            "event_date_text": item.event_date.text,
            "truce_began_text": item.truce_began.text,
            "truce_began_date": item.truce_began.date,
            "truce_began_precision": item.truce_began.precision,
            "duration_text": duration.text if duration else None,
            "duration_iso": duration.iso8601 if duration else None,
            "duration_open_ended": int(duration.open_ended) if duration else None,
            "duration_bound": duration.bound if duration else None,
            "conditions": _dumps(claim.conditions),
            "terms": _dumps(claim.terms),
            "factuality": claim.factuality,
            "grounding": item.grounding,
            "flags": _dumps(item.flags),
            "publisher": publisher,
            "speaker": _speaker_label(item),
            "model": model,
            "prompt_hash": prompt_hash,
            "created_at": now(),
        },
    )
    _insert(
        db,
        "parties",
        [
            {
                "claim_id": claim_id,
                "position": i,
                "name": p.name,
                "canonical": p.canonical,
                "role": p.role,
                "standard_name": p.standard_name,
            }
            for i, p in enumerate(item.parties)
        ],
    )
    chain = claim.attribution
    links: list[dict] = [{"role": "publisher", "name": publisher}]
    links += [{"role": "relay", "name": o.name, "channel": o.channel} for o in chain.relays]
    speaker = chain.speaker
    links.append(
        {
            "role": "speaker",
            "name": speaker.name,
            "title": speaker.title,
            "affiliation": speaker.affiliation,
            "anonymous": int(speaker.anonymous),
            "description": speaker.description,
            "channel": speaker.channel,
        }
    )
    _insert(
        db,
        "attributions",
        [
            {
                "claim_id": claim_id,
                "position": i,
                "anonymous": 0,
                "named_in_text": int(link.get("name") not in item.names_not_in_text),
                **link,
            }
            for i, link in enumerate(links)
        ],
    )
    _insert(
        db,
        "evidence",
        [
            {
                "claim_id": claim_id,
                "position": i,
                "quote": e.quote,
                "model_quote": e.model_quote,
                "start": e.start,
                "end": e.end,
                "alignment": e.alignment,
                "score": e.score,
            }
            for i, e in enumerate(item.evidence)
        ],
    )


# --- queries ----------------------------------------------------------------------


@dataclass
class ClaimFilters:
    party: str | None = None
    kind: str | None = None
    outlet: str | None = None
    speaker: str | None = None
    article: str | None = None
    since: str | None = None
    until: str | None = None
    ungrounded: bool = False
    search: str | None = None


def fts_query(text: str) -> str:
    """Words and "quoted phrases" to search for, each quoted so that FTS5 syntax in them
    (-, ', AND) is taken literally."""
    parts = [phrase or word for phrase, word in re.findall(r'"([^"]+)"|(\S+)', text)]
    return " ".join('"' + part.replace('"', '""') + '"' for part in parts)


def query_claims(db: Database, filters: ClaimFilters) -> Iterator[dict]:
    """Claims matching the filters, each with its parties, chain and evidence."""
    where, params = ["1 = 1"], []
    if filters.party:
        where.append(
            "c.id IN (SELECT claim_id FROM parties WHERE canonical = ? COLLATE NOCASE OR name = ? COLLATE NOCASE)"
        )
        params += [canonical_name(filters.party), filters.party]
    if filters.kind:
        where.append("c.kind = ?")
        params.append(filters.kind)
    if filters.outlet:
        where.append("c.id IN (SELECT claim_id FROM attributions WHERE role IN ('publisher', 'relay') AND name LIKE ?)")
        params.append(f"%{filters.outlet}%")
    if filters.speaker:
        where.append(
            "c.id IN (SELECT claim_id FROM attributions WHERE role = 'speaker' AND "
            "(name LIKE ? OR description LIKE ? OR affiliation LIKE ?))"
        )
        params += [f"%{filters.speaker}%"] * 3
    if filters.article:
        where.append("c.article_id LIKE ?")
        params.append(f"{filters.article}%")
    # Dates filter on the event date, or the article's date when the event is undated.
    date_expr = "COALESCE(c.event_date, a.published)"
    if filters.since:
        where.append(f"{date_expr} >= ?")
        params.append(filters.since)
    if filters.until:
        where.append(f"substr({date_expr}, 1, length(?)) <= ?")
        params += [filters.until, filters.until]
    if filters.ungrounded:
        where.append("c.grounding != 'grounded'")
    if filters.search:
        where.append(
            "(c.rowid IN (SELECT rowid FROM claims_fts WHERE claims_fts MATCH ?) OR c.id IN "
            "(SELECT claim_id FROM evidence WHERE rowid IN "
            "(SELECT rowid FROM evidence_fts WHERE evidence_fts MATCH ?)))"
        )
        params += [fts_query(filters.search)] * 2
    sql = (
        "SELECT c.* FROM claims c JOIN articles a ON a.id = c.article_id WHERE "
        + " AND ".join(where)
        + " ORDER BY c.article_id, CAST(substr(c.id, 18) AS INTEGER)"
    )
    for row in db.query(sql, params):
        yield _with_children(db, row)


def _with_children(db: Database, row: dict) -> dict:
    claim_id = row["id"]
    for key in ("conditions", "terms", "flags"):
        row[key] = json.loads(row[key])
    if row["duration_open_ended"] is not None:
        row["duration_open_ended"] = bool(row["duration_open_ended"])
    row["parties"] = list(
        db.query(
            "SELECT name, standard_name, canonical, entity_id, role FROM parties WHERE claim_id = ? ORDER BY position",
            [claim_id],
        )
    )
    row["attribution"] = [
        {**link, "anonymous": bool(link["anonymous"]), "named_in_text": bool(link["named_in_text"])}
        for link in db.query(
            "SELECT role, name, title, affiliation, anonymous, description, channel, named_in_text "
            "FROM attributions WHERE claim_id = ? ORDER BY position",
            [claim_id],
        )
    ]
    row["evidence"] = list(
        db.query(
            'SELECT quote, start, "end", alignment, score, model_quote FROM evidence '
            "WHERE claim_id = ? ORDER BY position",
            [claim_id],
        )
    )
    return row


def get_claim(db: Database, claim_id: str) -> dict:
    """A claim by its id, or by a shorter form only one claim has: a prefix of its id, or
    a prefix of its article's id with its number ("410fb5-3")."""
    rows = list(db.query("SELECT * FROM claims WHERE id = ?", [claim_id]))
    short = re.fullmatch(r"([0-9a-f]+)-(\d+)", claim_id)
    if not rows and short:
        rows = list(
            db.query(
                "SELECT * FROM claims WHERE substr(article_id, 1, ?) = ? AND id = article_id || '-' || ? LIMIT 2",
                [len(short.group(1)), short.group(1), short.group(2)],
            )
        )
    if not rows and claim_id:
        rows = list(db.query("SELECT * FROM claims WHERE substr(id, 1, ?) = ? LIMIT 2", [len(claim_id), claim_id]))
    if len(rows) > 1:
        raise NotFoundError(f"More than one claim matches {claim_id!r}; give more of its id.")
    if not rows:
        raise NotFoundError(f"There is no claim {claim_id!r}; `truce claims` lists them.")
    return _with_children(db, rows[0])


def get_article(db: Database, article_id: str) -> dict:
    rows = list(db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
    if not rows:
        raise NotFoundError(f"There is no article {article_id!r}; `truce articles` lists them.")
    return rows[0]


def query_articles(db: Database) -> Iterator[dict]:
    yield from db.query(
        """
        SELECT a.id, a.title, a.publisher, a.published, a.source,
               (SELECT COUNT(*) FROM claims c WHERE c.article_id = a.id) AS claims,
               (SELECT e.status FROM extractions e WHERE e.article_id = a.id
                ORDER BY e.id DESC LIMIT 1) AS last_extraction,
               a.text
        FROM articles a ORDER BY a.source, a.id
        """
    )
