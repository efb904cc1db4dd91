"""`truce serve`: Datasette on the demo database, driven through Datasette's test client
(and once as a real server), with every expected row derived from the database itself."""

from __future__ import annotations

import asyncio
import html
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest
from truce_helpers import ROOT, invoke, query

from extractor.browse.metadata import TABLES
from extractor.browse.queries import CANNED_QUERIES
from extractor.browse.serve import INSTALL_COMMAND, database_name
from extractor.demo import run_demo
from extractor.storage.store import open_db


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "truce-demo.db"
    run_demo(path).db.close()
    return path


@pytest.fixture(scope="module")
def datasette(demo_db):
    pytest.importorskip("datasette")
    from extractor.browse.serve import build_datasette

    return build_datasette(demo_db)


@pytest.fixture(scope="module")
def db_url(demo_db) -> str:
    return "/" + database_name(demo_db)


def fetch(datasette, path: str):
    async def get():
        return await datasette.client.get(path)

    response = asyncio.run(get())
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
    return response


def canned(datasette, db_url: str, name: str, **params: str) -> list[dict]:
    args = "&".join(f"{key}={urllib.parse.quote(value)}" for key, value in params.items())
    return fetch(datasette, f"{db_url}/{name}.json?_shape=array&{args}").json()


def outlets(db_path: Path, claim_id: str) -> str | None:
    """The outlets a claim came through, publisher first, worked out in Python."""
    links = query(db_path, "SELECT position, role, name FROM attributions WHERE claim_id = ?", [claim_id])
    names = [link["name"] for link in sorted(links, key=lambda r: r["position"]) if link["role"] != "speaker"]
    return " → ".join(name for name in names if name) or None


# --- the metadata --------------------------------------------------------------------


def _schema(db_path: Path) -> dict[str, list[str]]:
    """Every table and view of a migrated database, without the search indexes' own tables."""
    connection = sqlite3.connect(str(db_path))
    try:
        rows = connection.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()
        virtual = [name for name, sql in rows if sql and sql.upper().startswith("CREATE VIRTUAL TABLE")]
        return {
            name: [column[1] for column in connection.execute(f"PRAGMA table_info([{name}])")]
            for name, _ in rows
            if not any(name == v or name.startswith(v + "_") for v in virtual)
        }
    finally:
        connection.close()


def test_every_table_and_column_has_a_description(tmp_path):
    """A new table or column needs its description in extractor/browse/metadata.py; a
    described column that no longer exists is caught too."""
    open_db(tmp_path / "fresh.db").close()
    schema = _schema(tmp_path / "fresh.db")

    described = {(table, column) for table, doc in TABLES.items() for column in doc.columns}
    existing = {(table, column) for table, columns in schema.items() for column in columns}
    assert sorted(existing - described) == [], "describe these in extractor/browse/metadata.py"
    assert sorted(described - existing) == [], "these are described but do not exist"
    assert set(TABLES) == set(schema)
    for table, columns in schema.items():
        assert TABLES[table].description.strip() and all(text.strip() for text in TABLES[table].columns.values())
        assert set(TABLES[table].facets) <= set(columns), table
        assert TABLES[table].label_column in (None, *columns), table


def test_the_database_page_lists_the_canned_queries_and_hides_internal_tables(datasette, db_url, demo_db):
    assert database_name(demo_db) in fetch(datasette, "/").text

    page = fetch(datasette, f"{db_url}.json").json()

    assert {q["name"] for q in page["queries"]} == set(CANNED_QUERIES)
    hidden = {t["name"] for t in page["tables"] if t["hidden"]}
    shown = {t["name"] for t in page["tables"] if not t["hidden"]}
    assert {"prompt_parts", "_sqlite_migrations", "articles_fts", "claims_fts", "evidence_fts"} <= hidden
    assert {"articles", "claims", "parties", "attributions", "evidence", "conflicts", "entities"} <= shown
    html_page = html.unescape(fetch(datasette, db_url).text)
    assert all(q["title"] in html_page for q in CANNED_QUERIES.values())


@pytest.mark.parametrize("table", [name for name, doc in TABLES.items() if not doc.hidden])
def test_every_table_page_shows_its_facets_and_column_descriptions(datasette, db_url, demo_db, table):
    page = fetch(datasette, f"{db_url}/{table}.json").json()

    facets = page["facet_results"]
    assert set(facets) == set(TABLES[table].facets)
    for column, facet in facets.items():
        counts = query(demo_db, f"SELECT [{column}] AS value, COUNT(*) AS n FROM [{table}] GROUP BY [{column}]")
        expected = {row["value"]: row["n"] for row in counts if row["value"] is not None}
        assert {r["value"]: r["count"] for r in facet["results"]} == expected
    text = html.unescape(fetch(datasette, f"{db_url}/{table}").text)
    assert TABLES[table].description in text
    for description in TABLES[table].columns.values():
        assert description in text


def test_analysts_facets_are_offered(datasette, db_url):
    def facets(table: str) -> set[str]:
        return set(fetch(datasette, f"{db_url}/{table}.json").json()["facet_results"])

    assert {"kind", "factuality", "grounding", "publisher"} <= facets("claims")
    assert "type" in facets("conflicts")
    assert "publisher" in facets("articles")


def test_foreign_keys_are_labelled_with_the_claims_summary(datasette, db_url, demo_db):
    rows = fetch(datasette, f"{db_url}/conflicts.json?_labels=on&_shape=array").json()
    summaries = {r["id"]: r["summary"] for r in query(demo_db, "SELECT id, summary FROM claims")}

    assert rows
    for row in rows:
        for side in ("claim_a", "claim_b"):
            assert row[side]["label"] == summaries[row[side]["value"]]


# --- full-text search ----------------------------------------------------------------


def _tokens(text: str | None) -> set[str]:
    return {token.lower() for token in re.findall(r"[^\W_]+", text or "")}


def _discriminating_word(documents: dict) -> str:
    """A plain word some of the documents hold and others do not."""
    holders = defaultdict(set)
    for key, text in documents.items():
        for token in _tokens(text):
            if token.isascii() and token.isalpha() and len(token) >= 6:
                holders[token].add(key)
    candidates = sorted(w for w, keys in holders.items() if 1 <= len(keys) < len(documents))
    assert candidates, "the documents share every word"
    return max(candidates, key=lambda w: len(holders[w]))


@pytest.mark.parametrize(
    ("table", "key", "searched"),
    [
        ("articles", "id", ("title", "text")),
        ("claims", "id", ("summary", "place", "speaker")),
        ("evidence", "id", ("quote",)),
    ],
)
def test_search_finds_exactly_the_rows_holding_the_word(datasette, db_url, demo_db, table, key, searched):
    rows = query(demo_db, f"SELECT [{key}], {', '.join(f'[{c}]' for c in searched)} FROM [{table}]")
    documents = {row[key]: " ".join(row[c] or "" for c in searched) for row in rows}
    word = _discriminating_word(documents)
    expected = {k for k, text in documents.items() if word in _tokens(text)}

    found = fetch(datasette, f"{db_url}/{table}.json?_search={word}&_shape=array&_size=max").json()

    assert {row[key] for row in found} == expected


# --- canned queries ------------------------------------------------------------------


def test_conflicts_query_gives_both_claims_with_summary_speaker_and_outlets(datasette, db_url, demo_db):
    rows = canned(datasette, db_url, "conflicts_with_claims")
    conflicts = query(demo_db, "SELECT * FROM conflicts")
    claims = {c["id"]: c for c in query(demo_db, "SELECT id, kind, summary, speaker FROM claims")}

    assert len(rows) == len(conflicts) > 0
    by_id = {row["conflict"]: row for row in rows}
    for conflict in conflicts:
        row = by_id[conflict["id"]]
        assert (row["type"], row["reason"], row["found_by"]) == (
            conflict["type"],
            conflict["reason"],
            conflict["method"],
        )
        for side in ("claim_a", "claim_b"):
            claim = claims[conflict[side]]
            assert row[side] == claim["id"]
            assert row[f"{side}_summary"] == claim["summary"]
            assert row[f"{side}_speaker"] == claim["speaker"]
            assert row[f"{side}_kind"] == claim["kind"]
            assert row[f"{side}_outlets"] == outlets(demo_db, claim["id"])


def test_claims_by_party_finds_an_entitys_claims_by_any_of_its_names(datasette, db_url, demo_db):
    entities = query(demo_db, "SELECT id, name, aliases FROM entities")
    entity = max(entities, key=lambda e: (len(json.loads(e["aliases"])), e["id"]))
    parties = query(demo_db, "SELECT claim_id, name, canonical, standard_name, entity_id FROM parties")
    its_claims = {p["claim_id"] for p in parties if p["entity_id"] == entity["id"]}
    names = {entity["name"], entity["name"].upper(), *json.loads(entity["aliases"])}
    assert len(names) >= 3 and its_claims

    for name in names:
        rows = canned(datasette, db_url, "claims_by_party", party=name)
        found = {row["claim"] for row in rows}
        assert its_claims <= found, name
        assert len(found) == len(rows)  # one row per claim
        for claim_id in found - its_claims:  # anything more names the party as written, canonically or in full
            assert any(
                p["claim_id"] == claim_id
                and name.lower() in {(p[k] or "").lower() for k in ("name", "canonical", "standard_name")}
                for p in parties
            )


def test_claims_by_party_finds_nothing_for_a_party_no_claim_names(datasette, db_url):
    assert canned(datasette, db_url, "claims_by_party", party="Nobody Named This Party") == []


def test_attribution_chain_query_gives_each_claims_chain_from_the_outside_in(datasette, db_url, demo_db):
    claims = query(demo_db, "SELECT id, summary FROM claims")
    assert claims
    for claim in claims:
        links = sorted(
            query(demo_db, "SELECT * FROM attributions WHERE claim_id = ?", [claim["id"]]), key=lambda r: r["position"]
        )

        rows = canned(datasette, db_url, "attribution_chain", claim_id=claim["id"])

        assert [(r["role"], r["name"], r["description"], r["channel"]) for r in rows] == [
            (link["role"], link["name"], link["description"], link["channel"]) for link in links
        ]
        assert rows[0]["role"] == "publisher" and rows[-1]["role"] == "speaker"
        assert {r["claim_summary"] for r in rows} == {claim["summary"]}


# --- the command ---------------------------------------------------------------------


def test_serve_without_datasette_says_how_to_install_it(monkeypatch, tmp_path):
    for module in [name for name in sys.modules if name == "datasette" or name.startswith("datasette.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "datasette", None)  # `import datasette` now raises ImportError

    result = invoke(["serve", "--db", tmp_path / "truce.db"])

    assert result.exit_code == 1
    assert INSTALL_COMMAND in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_a_missing_database(tmp_path):
    pytest.importorskip("datasette")
    missing = tmp_path / "nope.db"

    result = invoke(["serve", "--db", missing])

    assert result.exit_code == 1
    assert "nope.db" in result.output
    assert not missing.exists()


def test_serve_refuses_a_port_in_use(demo_db):
    pytest.importorskip("datasette")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]

        result = invoke(["serve", "--db", demo_db, "--port", port])

    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def test_truce_serve_serves_the_demo_database_with_its_canned_queries(demo_db):
    """The command itself, as a user runs it: a real server on a local port."""
    pytest.importorskip("datasette")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "extractor", "serve", "--db", str(demo_db), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/{database_name(demo_db)}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}.json", timeout=5) as response:
                    page = json.load(response)
                break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "truce serve did not answer within 30 s"
                time.sleep(0.2)
        with urllib.request.urlopen(f"{url}/conflicts_with_claims.json?_shape=array", timeout=5) as response:
            conflicts = json.load(response)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)

    assert {q["name"] for q in page["queries"]} == set(CANNED_QUERIES)
    assert len(conflicts) == query(demo_db, "SELECT COUNT(*) AS n FROM conflicts")[0]["n"]
    assert f"at {url}" in stderr
