"""The database schema (extractor/migrations.py via extractor/store.open_db)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from extractor.errors import DatabaseError
from extractor.storage import migrations
from extractor.storage.store import open_db

TABLES = ["articles", "runs", "extractions", "claims", "parties", "attributions", "evidence", "model_calls"]

KEY_COLUMNS = {
    "articles": {"id", "text", "title", "publisher", "url", "published", "source", "metadata"},
    "runs": {
        "id",
        "command",
        "model",
        "base_url",
        "prompt_hash",
        "started_at",
        "finished_at",
        "status",
        "input_tokens",
        "output_tokens",
        "errors",
    },
    "extractions": {"id", "article_id", "run_id", "model", "prompt_hash", "status", "error", "claims_count"},
    "claims": {
        "id",
        "article_id",
        "extraction_id",
        "kind",
        "summary",
        "place",
        "scope",
        "event_date",
        "event_date_precision",
        "event_date_text",
        "duration_text",
        "duration_iso",
        "duration_open_ended",
        "duration_bound",
        "conditions",
        "terms",
        "factuality",
        "grounding",
        "flags",
        "publisher",
        "speaker",
        "model",
        "prompt_hash",
    },
    "parties": {"claim_id", "position", "name", "canonical", "role"},
    "attributions": {
        "claim_id",
        "position",
        "role",
        "name",
        "title",
        "affiliation",
        "anonymous",
        "description",
        "channel",
        "named_in_text",
    },
    "evidence": {"claim_id", "position", "quote", "model_quote", "start", "end", "alignment", "score"},
    "model_calls": {
        "run_id",
        "article_id",
        "purpose",
        "model",
        "attempt",
        "status",
        "error",
        "request_json",
        "response_json",
        "input_tokens",
        "output_tokens",
        "duration_ms",
        "started_at",
    },
}


@pytest.fixture
def db(db_path):
    return open_db(db_path)


def test_fresh_database_has_every_table(db):
    names = set(db.table_names())
    assert set(TABLES) <= names
    assert {"claims_fts", "evidence_fts", "articles_fts"} <= names


@pytest.mark.parametrize("table", TABLES)
def test_key_columns(db, table):
    assert KEY_COLUMNS[table] <= set(db[table].columns_dict)


def test_column_types_of_offsets_and_counts(db):
    evidence = db["evidence"].columns_dict
    assert evidence["start"] is int and evidence["end"] is int
    assert evidence["quote"] is str and evidence["alignment"] is str
    assert evidence["score"] is float
    calls = db["model_calls"].columns_dict
    assert calls["input_tokens"] is int and calls["output_tokens"] is int and calls["duration_ms"] is int
    assert calls["request_json"] is str and calls["response_json"] is str


def test_primary_keys(db):
    assert db["articles"].pks == ["id"]
    assert db["claims"].pks == ["id"]
    assert db["evidence"].pks == ["id"]


def test_foreign_keys_are_declared(db):
    def targets(table):
        return {(fk.column, fk.other_table) for fk in db[table].foreign_keys}

    assert ("article_id", "articles") in targets("claims")
    assert ("extraction_id", "extractions") in targets("claims")
    assert ("claim_id", "claims") in targets("evidence")
    assert ("claim_id", "claims") in targets("parties")
    assert ("claim_id", "claims") in targets("attributions")
    assert {("article_id", "articles"), ("run_id", "runs")} <= targets("extractions")


def test_fts_tables_index_the_searchable_columns(db):
    assert set(db["claims_fts"].columns_dict) == {"summary", "place", "speaker"}
    assert set(db["articles_fts"].columns_dict) == {"title", "text"}
    assert set(db["evidence_fts"].columns_dict) == {"quote"}


# --- helpers writing a minimal valid chain ------------------------------------------


def _article_run_extraction(db) -> int:
    db["articles"].insert({"id": "a" * 16, "text": "The truce held.", "added_at": "2020-01-01"})
    db["runs"].insert({"id": 1, "command": "extract", "started_at": "2020-01-01", "status": "running"})
    db["extractions"].insert(
        {
            "id": 1,
            "article_id": "a" * 16,
            "run_id": 1,
            "model": "m",
            "prompt_hash": "h",
            "status": "ok",
            "finished_at": "2020-01-01",
        }
    )
    return 1


def _claim(article_id: str, claim_id: str = "c1") -> dict:
    return {
        "id": claim_id,
        "article_id": article_id,
        "extraction_id": 1,
        "kind": "in_effect",
        "summary": "A truce held in Kirkuk.",
        "scope": "local",
        "event_date_precision": "unknown",
        "conditions": "[]",
        "terms": "[]",
        "factuality": "asserted",
        "grounding": "grounded",
        "flags": "[]",
        "model": "m",
        "prompt_hash": "h",
        "created_at": "2020-01-01",
    }


def test_foreign_keys_pragma_is_on(db):
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_claim_for_a_missing_article_is_refused(db):
    _article_run_extraction(db)
    db["claims"].insert(_claim("a" * 16, "ok"))  # the same row for a real article is fine

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db["claims"].insert(_claim("f" * 16, "orphan"))
    assert db["claims"].count == 1


def test_evidence_for_a_missing_claim_is_refused(db):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db["evidence"].insert(
            {"claim_id": "nope", "position": 0, "quote": "q", "model_quote": "q", "alignment": "exact", "score": 1.0}
        )


def test_deleting_a_claim_cascades_to_its_rows(db):
    _article_run_extraction(db)
    db["claims"].insert(_claim("a" * 16))
    db["evidence"].insert(
        {
            "claim_id": "c1",
            "position": 0,
            "quote": "The truce held.",
            "model_quote": "The truce held.",
            "start": 0,
            "end": 15,
            "alignment": "exact",
            "score": 100.0,
        }
    )
    db["parties"].insert({"claim_id": "c1", "position": 0, "name": "IS", "canonical": "ISIS", "role": "party"})
    db["attributions"].insert({"claim_id": "c1", "position": 0, "role": "publisher", "name": "NOW."})

    db.execute("DELETE FROM claims WHERE id = 'c1'")

    assert db["evidence"].count == 0
    assert db["parties"].count == 0
    assert db["attributions"].count == 0


def test_evidence_fts_follows_inserts(db):
    _article_run_extraction(db)
    db["claims"].insert(_claim("a" * 16))
    db["evidence"].insert(
        {
            "claim_id": "c1",
            "position": 0,
            "quote": "a ceasefire began Thursday night",
            "model_quote": "x",
            "alignment": "exact",
            "score": 100.0,
        }
    )
    rows = db.execute("SELECT quote FROM evidence_fts WHERE evidence_fts MATCH 'thursday'").fetchall()
    assert rows == [("a ceasefire began Thursday night",)]


def _search_articles(db, words: str) -> list[str]:
    return [
        row[0]
        for row in db.execute(
            "SELECT id FROM articles WHERE rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)",
            [words],
        )
    ]


def test_article_search_follows_inserts_updates_and_deletes(db):
    _article_run_extraction(db)  # "The truce held."
    assert _search_articles(db, "truce") == ["a" * 16]

    db["articles"].update("a" * 16, {"title": "Kirkuk ceasefire", "text": "The guns fell silent."})
    assert _search_articles(db, "kirkuk") == ["a" * 16]
    assert _search_articles(db, "silent") == ["a" * 16]
    assert _search_articles(db, "truce") == []

    db.execute("DELETE FROM extractions")
    db.execute("DELETE FROM articles")
    assert _search_articles(db, "kirkuk") == []


def test_article_search_covers_articles_stored_before_it_existed(db_path):
    old = Database(db_path)
    migrations.migrations.apply(old, stop_before="m009_full_text_search")
    assert "articles_fts" not in old.table_names()
    old["articles"].insert({"id": "b" * 16, "text": "Talks on a Hodeidah truce.", "added_at": "2020-01-01"})
    old.close()

    db = open_db(db_path)

    assert _search_articles(db, "hodeidah") == ["b" * 16]


# --- migrations -------------------------------------------------------------------


def _applied(db) -> list[str]:
    return [
        row[0]
        for row in db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY name", [migrations.migrations.name]
        )
    ]


def test_opening_twice_is_idempotent(db_path):
    first = open_db(db_path)
    _article_run_extraction(first)
    applied_once = _applied(first)
    first.close()

    second = open_db(db_path)
    applied_twice = _applied(second)

    assert applied_once == applied_twice
    assert len(applied_twice) == len(set(applied_twice)) >= 1
    assert "m001_extraction_tables" in applied_twice
    assert second["articles"].count == 1  # nothing was recreated or wiped
    assert second.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_every_registered_migration_is_applied(db):
    assert migrations.migrations.pending(db) == []
    assert sorted(m.name for m in migrations.migrations.applied(db)) == _applied(db)


def test_missing_database_with_must_exist_raises(tmp_path):
    missing = tmp_path / "nope.db"
    with pytest.raises(DatabaseError, match="no database"):
        open_db(missing, must_exist=True)
    assert not missing.exists()  # nothing was created


def test_missing_database_without_must_exist_is_created(tmp_path):
    path = tmp_path / "new.db"
    open_db(path)
    assert path.exists()


def test_existing_database_with_must_exist_opens(db_path):
    open_db(db_path).close()
    assert "claims" in open_db(db_path, must_exist=True).table_names()


def test_non_database_file_raises_database_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("These are my notes, not a SQLite database. " * 20, "utf-8")
    with pytest.raises(DatabaseError, match="Cannot use .*notes.db"):
        open_db(path)
    assert path.read_text("utf-8").startswith("These are my notes")  # left untouched
