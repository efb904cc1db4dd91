"""The `batch_requests` table: every request `truce batch prepare` wrote, so that
`truce batch ingest` maps a result back to its article, window, model and prompt, and
knows what it has stored already.

An article is one request, or one per window when it is long (extraction/windows.py);
its requests from one prepare run are its group, and the article is stored once the
whole group is answered (answers that arrive first wait in `result_json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields

from sqlite_utils import Database

from extractor.errors import TruceError
from extractor.extraction.windows import Window
from extractor.read import Article
from extractor.storage import store

PREPARED, ANSWERED, INGESTED, FAILED = "prepared", "answered", "ingested", "failed"
OUTSTANDING = (PREPARED, ANSWERED)  # written to a batch file, not yet stored


class StaleRequestError(TruceError):
    """A request is no longer in the state it was read in (its answer was stored meanwhile)."""


@dataclass
class BatchRequest:
    custom_id: str
    article_id: str
    purpose: str  # extract | reask_ungrounded
    model: str
    mode: str
    max_tokens: int | None
    prompt_hash: str
    body_hash: str
    prepare_run_id: int
    window: int = 0  # the article's window it asks about (0 for an article sent whole)
    excerpt_spans: str | None = None  # JSON [[start, end], ...] of the window; NULL: the whole article
    status: str = PREPARED
    result_json: str | None = None  # its result line, while other windows of the article are unanswered
    answer_json: str | None = None  # extract: the answer, as its re-ask quotes it back
    reasks_extraction_id: int | None = None  # re-ask: the extraction whose claims it re-asks
    extraction_id: int | None = None  # what ingesting it stored

    def excerpts(self, article: Article) -> str | None:
        """The text of its window, or None when it asks about the whole article."""
        if self.excerpt_spans is None:
            return None
        return Window(tuple((start, end) for start, end in json.loads(self.excerpt_spans))).text(article.text)


_COLUMNS = [f.name for f in fields(BatchRequest)]


def record_prepared(db: Database, request: BatchRequest) -> None:
    """Insert the request, or make one written before pending again (the same custom_id
    is the same request)."""
    row = {name: getattr(request, name) for name in _COLUMNS} | {"status": PREPARED, "prepared_at": store.now()}
    row |= {"result_json": None, "extraction_id": None, "ingest_run_id": None, "ingested_at": None}
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in row if c != "custom_id")
    db.conn.execute(
        f"INSERT INTO batch_requests ({', '.join(f'[{c}]' for c in row)}) VALUES ({', '.join('?' * len(row))}) "
        f"ON CONFLICT(custom_id) DO UPDATE SET {updates}",
        list(row.values()),
    )


def _select(db: Database, where: str, params: Iterable = ()) -> list[BatchRequest]:
    sql = f"SELECT {', '.join('r.' + c for c in _COLUMNS)} FROM batch_requests r {where}"
    return [BatchRequest(*row) for row in db.execute(sql, list(params)).fetchall()]


def by_custom_id(db: Database, custom_ids: Iterable[str]) -> dict[str, BatchRequest]:
    wanted = list(dict.fromkeys(custom_ids))
    found: dict[str, BatchRequest] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for request in _select(db, f"WHERE r.custom_id IN ({', '.join('?' * len(chunk))})", chunk):
            found[request.custom_id] = request
    return found


def get(db: Database, custom_id: str) -> BatchRequest | None:
    """The request as the database holds it now."""
    found = _select(db, "WHERE r.custom_id = ?", [custom_id])
    return found[0] if found else None


def outstanding_articles(db: Database, model: str, mode: str, prompt_hash: str) -> set[str]:
    """The articles with extraction requests for this model, mode and prompt in a batch
    file and not yet stored (prepared, or answered and waiting for their other windows)."""
    rows = db.execute(
        f"SELECT DISTINCT article_id FROM batch_requests WHERE purpose = 'extract' AND model = ? AND mode = ? "
        f"AND prompt_hash = ? AND status IN ({', '.join('?' * len(OUTSTANDING))})",
        [model, mode, prompt_hash, *OUTSTANDING],
    ).fetchall()
    return {article_id for (article_id,) in rows}


def outstanding_reasks(db: Database) -> set[int]:
    """The extractions whose re-asks are in a batch file and not yet stored."""
    rows = db.execute(
        f"SELECT DISTINCT reasks_extraction_id FROM batch_requests WHERE purpose != 'extract' "
        f"AND status IN ({', '.join('?' * len(OUTSTANDING))})",
        list(OUTSTANDING),
    ).fetchall()
    return {extraction_id for (extraction_id,) in rows}


def group_of(db: Database, request: BatchRequest) -> list[BatchRequest]:
    """The requests of the same article, purpose and prepare run, in window order."""
    return _select(
        db,
        "WHERE r.prepare_run_id = ? AND r.article_id = ? AND r.purpose = ? ORDER BY r.window",
        [request.prepare_run_id, request.article_id, request.purpose],
    )


def save_answer(db: Database, request: BatchRequest, result_json: str) -> None:
    """Keep an answer until the other windows of its article are answered. Only a
    prepared request takes one: StaleRequestError if it is not prepared any more."""
    cursor = db.execute(
        "UPDATE batch_requests SET status = ?, result_json = ? WHERE custom_id = ? AND status = ?",
        [ANSWERED, result_json, request.custom_id, PREPARED],
    )
    if cursor.rowcount != 1:
        raise _stale(request)
    request.status, request.result_json = ANSWERED, result_json


def mark_done(
    db: Database, request: BatchRequest, status: str, extraction_id: int | None, run_id: int, answer_json: str | None
) -> None:
    """Record what ingesting the request stored. Only from the state it was read in, and
    only if that is outstanding (prepared, or answered): StaleRequestError otherwise."""
    if request.status not in OUTSTANDING:
        raise _stale(request)
    answer_json = answer_json if request.purpose == "extract" else request.answer_json
    cursor = db.execute(
        "UPDATE batch_requests SET status = ?, extraction_id = ?, ingest_run_id = ?, ingested_at = ?, "
        "result_json = NULL, answer_json = ? WHERE custom_id = ? AND status = ?",
        [status, extraction_id, run_id, store.now(), answer_json, request.custom_id, request.status],
    )
    if cursor.rowcount != 1:
        raise _stale(request)
    request.status, request.extraction_id, request.result_json = status, extraction_id, None
    request.answer_json = answer_json


def _stale(request: BatchRequest) -> StaleRequestError:
    return StaleRequestError(
        f"{request.custom_id} was stored meanwhile (by another `truce batch ingest`); this answer is not used"
    )


def awaiting_reask(db: Database) -> list[BatchRequest]:
    """Ingested extraction requests of articles whose quotes did not all align and whose
    claims are still the current ones (not re-asked, not extracted again)."""
    return _select(
        db,
        "JOIN extractions e ON e.id = r.extraction_id WHERE r.purpose = 'extract' AND r.status = 'ingested' "
        "AND r.answer_json IS NOT NULL AND e.status = 'ok' ORDER BY r.article_id, r.window",
    )


def answers_of(db: Database, extraction_id: int | None) -> list[BatchRequest]:
    """The extraction requests (one per window) whose answers made this extraction."""
    return _select(db, "WHERE r.purpose = 'extract' AND r.extraction_id = ? ORDER BY r.window", [extraction_id])


def is_current(db: Database, extraction_id: int | None) -> bool:
    row = db.execute("SELECT status FROM extractions WHERE id = ?", [extraction_id]).fetchone()
    return row is not None and row[0] == "ok"


def unanswered(db: Database, prepare_run_ids: Iterable[int], answered: set[str]) -> list[BatchRequest]:
    """Requests of these prepare runs still waiting for an answer that `answered` lacks."""
    runs = sorted(set(prepare_run_ids))
    if not runs:
        return []
    waiting = _select(db, f"WHERE r.status = 'prepared' AND r.prepare_run_id IN ({', '.join('?' * len(runs))})", runs)
    return [request for request in waiting if request.custom_id not in answered]


def stored_article(db: Database, article_id: str) -> Article:
    """The article as `truce batch prepare` stored it: the text offsets index into."""
    row = store.get_article(db, article_id)
    return Article(
        id=row["id"],
        text=row["text"],
        source=row["source"],
        title=row["title"],
        publisher=row["publisher"],
        url=row["url"],
        published=row["published"],
        metadata=json.loads(row["metadata"]) if row["metadata"] else {},
    )
