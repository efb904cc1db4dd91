"""The `truce` command, end to end through click's CliRunner.

The database the query tests read is built once per module by `truce extract` against
an in-process reference server (hand-written answers for the five seeds)."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from truce_helpers import (
    SEED_IDS,
    SEEDS,
    count,
    extract_cli,
    invoke,
    query,
    reference_claim_count,
    run_truce,
    seed_path,
)

from extractor.cli import COMMANDS, cli
from extractor.recording.reference_server import serve_in_thread

ISIS_CLAIMS = {f"{SEED_IDS['000']}-{n}" for n in range(1, 8)} | {f"{SEED_IDS['001']}-{n}" for n in (1, 2)}
DILLON_CLAIMS = {f"{SEED_IDS['003']}-{n}" for n in range(1, 5)}


@pytest.fixture(scope="module")
def extracted_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The five seeds extracted once through the CLI, shared by the read-only tests."""
    server, url = serve_in_thread()
    path = tmp_path_factory.mktemp("cli") / "truce.db"
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TRUCE_MODEL", "OPENAI_MODEL", "TRUCE_DB"):
                patch.delenv(name, raising=False)
            result = extract_cli([SEEDS], path, url, "--concurrency", "4")
        assert result.exit_code == 0, result.output
    finally:
        server.shutdown()
        server.server_close()
    yield path


def claims_json(db: Path, *args: str) -> list[dict]:
    result = invoke(["claims", "--db", db, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def claim_ids(db: Path, *args: str) -> set[str]:
    return {c["id"] for c in claims_json(db, *args)}


def flat(text: str) -> str:
    """Output with rich's box characters removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text))


def assert_clear_failure(result) -> None:
    """A user mistake: non-zero exit, a message, and no traceback."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


# --- extract -----------------------------------------------------------------------


def test_extract_stores_the_five_seeds(seeds_dir, db_path, reference_url):
    result = extract_cli([seeds_dir], db_path, reference_url, "--concurrency", "4")
    assert result.exit_code == 0, result.output
    assert "Extracted 5 article(s), skipped 0, failed 0" in result.output
    assert {r["id"] for r in query(db_path, "SELECT id FROM articles")} == set(SEED_IDS.values())
    assert count(db_path, "extractions", "status = 'ok'") == 5
    assert count(db_path, "claims") == reference_claim_count()
    run = query(db_path, "SELECT * FROM runs WHERE command = 'extract'")[-1]
    assert run["status"] == "completed"
    assert run["articles_extracted"] == 5
    assert run["model"] == "reference"
    assert run["mode"] == "json_schema"  # the default with --base-url


# --- claims --json and articles --json contract --------------------------------------


def test_claims_json_contract(extracted_db):
    claims = claims_json(extracted_db)
    assert isinstance(claims, list)
    assert len(claims) == reference_claim_count()
    for claim in claims:
        assert isinstance(claim, dict)
        assert {"id", "article_id", "kind", "evidence"} <= set(claim)
        assert claim["id"].startswith(claim["article_id"] + "-")
        assert claim["id"].rsplit("-", 1)[1].isdigit()
        assert isinstance(claim["evidence"], list) and claim["evidence"]
        for evidence in claim["evidence"]:
            assert {"quote", "start", "end", "alignment"} <= set(evidence)


def test_articles_json_text_indexes_every_quote(extracted_db):
    result = invoke(["articles", "--db", extracted_db, "--json"])
    assert result.exit_code == 0, result.output
    articles = {a["id"]: a for a in json.loads(result.stdout)}
    assert set(articles) == set(SEED_IDS.values())
    checked = 0
    for claim in claims_json(extracted_db):
        text = articles[claim["article_id"]]["text"]
        for evidence in claim["evidence"]:
            assert evidence["alignment"] != "ungrounded"
            assert text[evidence["start"] : evidence["end"]] == evidence["quote"]
            checked += 1
    assert checked > reference_claim_count()  # several claims carry more than one quote


def test_articles_table_lists_every_article(extracted_db):
    result = invoke(["articles", "--db", extracted_db])
    assert result.exit_code == 0, result.output
    for article_id in SEED_IDS.values():
        assert article_id in result.stdout


# --- filters -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Daesh", "ISIS", "Islamic State", "ISIL", "daesh"])
def test_party_filter_uses_canonical_names(extracted_db, name):
    # The seeds write "Islamic State", "ISIS" and "SDF"; never "Daesh" or "ISIL".
    assert claim_ids(extracted_db, "--party", name) == ISIS_CLAIMS


def test_party_filter_pmf_aliases(extracted_db):
    expected = {f"{SEED_IDS['003']}-5", f"{SEED_IDS['003']}-6"}  # written "Hashd al-Shaabi"
    assert claim_ids(extracted_db, "--party", "PMF") == expected
    assert claim_ids(extracted_db, "--party", "Popular Mobilization Forces") == expected


def test_kind_filter(extracted_db):
    denials = claims_json(extracted_db, "--kind", "denial")
    assert {c["id"] for c in denials} == {f"{SEED_IDS['000']}-5", f"{SEED_IDS['003']}-3"}
    assert all(c["kind"] == "denial" for c in denials)


def test_kind_filter_rejects_unknown_kind(extracted_db):
    result = invoke(["claims", "--db", extracted_db, "--kind", "surrender"])
    assert result.exit_code == 2
    assert "Invalid value for '--kind'" in result.output


def test_outlet_filter_relay_and_publisher(extracted_db):
    rudaw = claim_ids(extracted_db, "--outlet", "Rudaw")
    # Seed 000 relays Rudaw; seed 003 is published by Rudaw.
    assert {f"{SEED_IDS['000']}-1", f"{SEED_IDS['000']}-2"} <= rudaw
    assert {f"{SEED_IDS['003']}-{n}" for n in range(1, 7)} <= rudaw
    assert not any(i.startswith((SEED_IDS["001"], SEED_IDS["004"])) for i in rudaw)
    ap = claims_json(extracted_db, "--outlet", "Associated Press")
    assert {c["id"] for c in ap} == {f"{SEED_IDS['004']}-{n}" for n in range(1, 6)}
    for claim in ap:
        assert any(link["role"] == "relay" and link["name"] == "The Associated Press" for link in claim["attribution"])


def test_speaker_filter(extracted_db):
    claims = claims_json(extracted_db, "--speaker", "Dillon")
    assert {c["id"] for c in claims} == DILLON_CLAIMS
    assert all(c["speaker"] == "Ryan Dillon" for c in claims)
    # Anonymous speakers are found by their description.
    assert f"{SEED_IDS['004']}-2" in claim_ids(extracted_db, "--speaker", "three militia officials")


def test_article_filter_by_prefix(extracted_db):
    ids = claim_ids(extracted_db, "--article", SEED_IDS["004"][:6])
    assert ids == {f"{SEED_IDS['004']}-{n}" for n in range(1, 7)}
    assert claim_ids(extracted_db, "--article", SEED_IDS["004"]) == ids
    assert claim_ids(extracted_db, "--article", SEED_IDS["002"]) == set()


def test_since_and_until_on_event_dates(extracted_db):
    # "On Saturday" in an article dated Monday 12 October 2020 is 2020-10-10.
    assert claim_ids(extracted_db, "--since", "2020-10-10", "--until", "2020-10-10") == {f"{SEED_IDS['004']}-6"}
    since = claim_ids(extracted_db, "--since", "2020-10-10")
    assert f"{SEED_IDS['004']}-6" in since
    assert f"{SEED_IDS['004']}-2" in since  # "on Sunday": 2020-10-11
    assert f"{SEED_IDS['004']}-5" not in since  # "Last week": the week of 2020-10-05
    assert not any(i.startswith(SEED_IDS["000"]) for i in since)  # 2015
    until = claim_ids(extracted_db, "--until", "2020-10-10")
    assert {f"{SEED_IDS['004']}-5", f"{SEED_IDS['004']}-6"} <= until
    assert f"{SEED_IDS['004']}-2" not in until
    # Undated claims of undated articles (001, 003) match no date filter.
    assert not any(i.startswith((SEED_IDS["001"], SEED_IDS["003"])) for i in since | until)


def test_until_with_a_month_and_since_with_a_year(extracted_db):
    seed_000 = {f"{SEED_IDS['000']}-{n}" for n in range(1, 8)}
    assert claim_ids(extracted_db, "--until", "2015-04") == seed_000
    assert claim_ids(extracted_db, "--since", "2016") == {f"{SEED_IDS['004']}-{n}" for n in range(1, 7)}


def test_ungrounded_filter_on_reference_extraction_is_empty(extracted_db):
    result = invoke(["claims", "--db", extracted_db, "--ungrounded", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_search_filter(extracted_db):
    assert claim_ids(extracted_db, "--search", "Amiri") == {f"{SEED_IDS['003']}-5"}
    assert claim_ids(extracted_db, "--search", '"official ceasefire"') == {f"{SEED_IDS['003']}-3"}
    assert claim_ids(extracted_db, "--search", "nothingmatchesthis") == set()


def test_filters_combine(extracted_db):
    ids = claim_ids(extracted_db, "--speaker", "Dillon", "--kind", "denial")
    assert ids == {f"{SEED_IDS['003']}-3"}


def test_party_filter_short_alias_is_not_a_substring_match(extracted_db):
    assert claim_ids(extracted_db, "--party", "IS") == ISIS_CLAIMS


@pytest.mark.parametrize("text", ["al-Amiri", "Dillon's", "truce AND"])
def test_search_with_punctuation_is_not_a_traceback(extracted_db, text):
    result = invoke(["claims", "--db", extracted_db, "--json", "--search", text])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if text == "al-Amiri":
        assert result.exit_code == 0
        assert f"{SEED_IDS['003']}-5" in {c["id"] for c in json.loads(result.stdout)}


def test_since_with_a_malformed_date_is_refused(extracted_db):
    result = invoke(["claims", "--db", extracted_db, "--json", "--since", "10/10/2020"])
    assert result.exit_code != 0
    assert "Error" in result.output


# --- other output formats ------------------------------------------------------------


def test_nl_output_parses(extracted_db):
    result = invoke(["claims", "--db", extracted_db, "--nl", "--kind", "offer"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["id"] for r in rows} == {r["id"] for r in claims_json(extracted_db, "--kind", "offer")}
    assert all(r["kind"] == "offer" for r in rows)


def test_csv_output_parses(extracted_db):
    result = invoke(["claims", "--db", extracted_db, "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == reference_claim_count()
    assert {"id", "article_id", "kind", "evidence", "parties", "attribution"} <= set(rows[0])
    for row in rows:
        evidence = json.loads(row["evidence"])  # nested fields are JSON
        assert evidence and all("quote" in e for e in evidence)
        assert isinstance(json.loads(row["parties"]), list)


def test_articles_csv_and_nl(extracted_db):
    nl = invoke(["articles", "--db", extracted_db, "--nl"])
    assert {json.loads(line)["id"] for line in nl.stdout.splitlines()} == set(SEED_IDS.values())
    rows = list(csv.DictReader(io.StringIO(invoke(["articles", "--db", extracted_db, "--csv"]).stdout)))
    assert {r["id"] for r in rows} == set(SEED_IDS.values())
    assert {int(r["claims"]) for r in rows if r["id"] == SEED_IDS["002"]} == {0}


def test_empty_result_as_json_is_an_empty_array(extracted_db):
    result = invoke(["claims", "--db", extracted_db, "--json", "--search", "nothingmatchesthis"])
    assert json.loads(result.stdout) == []


def test_claims_table_output(extracted_db):
    result = invoke(["claims", "--db", extracted_db, "--speaker", "Dillon"])
    assert result.exit_code == 0, result.output
    for claim_id in DILLON_CLAIMS:
        assert claim_id in result.stdout
    assert "Ryan Dillon" in result.stdout


# --- show --------------------------------------------------------------------------


def test_show_prints_speaker_chain_and_quote(extracted_db):
    claim = next(c for c in claims_json(extracted_db, "--speaker", "Amiri"))
    result = invoke(["show", claim["id"], "--db", extracted_db])
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "Hadi al-Amiri" in out
    assert "secretary general" in out
    assert "publisher Rudaw → relay BBC → Hadi al-Amiri" in out
    for evidence in claim["evidence"]:
        assert re.sub(r"\s+", " ", evidence["quote"]) in out
    assert f"exact {claim['evidence'][0]['start']}:{claim['evidence'][0]['end']}" in out


def test_show_marks_anonymous_speaker_and_channel(extracted_db):
    result = invoke(["show", f"{SEED_IDS['003']}-3", "--db", extracted_db])
    out = flat(result.stdout)
    assert "Ryan Dillon" in out and "via Twitter" in out
    assert "negated" in out
    result = invoke(["show", f"{SEED_IDS['001']}-1", "--db", extracted_db])
    out = flat(result.stdout)
    assert "[anonymous]" in out
    assert "publisher Zaman al-Wasl" in out
    assert "P1M" in out


def test_show_takes_a_prefix_only_one_claim_has_and_prints_json(extracted_db):
    claim_id = f"{SEED_IDS['003']}-3"
    result = invoke(["show", SEED_IDS["003"][:6] + "-3", "--db", extracted_db, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["id"] == claim_id and shown["evidence"] and isinstance(shown["conflicts"], list)
    assert {c["type"] for c in shown["conflicts"]} >= {"retraction"}  # Dillon's TV claim and his correction
    ambiguous = invoke(["show", SEED_IDS["003"][:6], "--db", extracted_db])
    assert_clear_failure(ambiguous)
    assert "More than one claim matches" in ambiguous.output


def test_show_unknown_id_is_one_line(extracted_db):
    result = invoke(["show", "0000000000000000-1", "--db", extracted_db])
    assert_clear_failure(result)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error:")
    assert "0000000000000000-1" in lines[0]


# --- user mistakes -----------------------------------------------------------------


@pytest.mark.parametrize("command", ["claims", "articles"])
def test_missing_database_is_a_clear_error(tmp_path, command):
    missing = tmp_path / "nope.db"
    result = invoke([command, "--db", missing])
    assert_clear_failure(result)
    assert result.output.startswith("Error: There is no database at")
    assert not missing.exists()  # a read command does not create an empty database


def test_show_with_missing_database(tmp_path):
    result = invoke(["show", "x-1", "--db", tmp_path / "nope.db"])
    assert_clear_failure(result)
    assert "Error:" in result.output


def test_a_file_that_is_not_a_database(tmp_path):
    not_db = tmp_path / "notes.db"
    not_db.write_text("these are my notes, not a database\n" * 200)
    result = invoke(["claims", "--db", not_db])
    assert_clear_failure(result)
    assert "Error: Cannot use" in result.output


def test_extract_without_endpoint(seeds_dir, db_path):
    # conftest clears OPENAI_API_KEY and OPENAI_BASE_URL.
    result = invoke(["extract", seeds_dir, "--db", db_path])
    assert_clear_failure(result)
    assert "Error: No model endpoint is configured" in result.output
    assert "OPENAI_API_KEY" in result.output and "--base-url" in result.output


def test_extract_bad_inputs_are_reported_and_others_extracted(tmp_path, db_path, reference_url):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n\n")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    missing = tmp_path / "missing.txt"
    good = seed_path("001")
    result = extract_cli([missing, empty, binary, good], db_path, reference_url)
    assert_clear_failure(result)  # exit 1: some inputs failed
    out = re.sub(r"\s+", " ", result.output)
    assert "does not exist" in out
    assert "is empty" in out
    assert "binary file" in out
    assert "Extracted 1 article(s), skipped 0, failed 3" in out
    assert [r["id"] for r in query(db_path, "SELECT id FROM articles")] == [SEED_IDS["001"]]
    assert count(db_path, "claims") == 2
    run = query(db_path, "SELECT * FROM runs WHERE command = 'extract'")[-1]
    assert run["articles_failed"] == 3 and run["articles_extracted"] == 1
    assert len(json.loads(run["errors"])) == 3


def test_extract_nonexistent_path_alone(tmp_path, db_path, reference_url):
    result = extract_cli([tmp_path / "nowhere"], db_path, reference_url)
    assert_clear_failure(result)
    assert "does not exist" in result.output
    assert not db_path.exists()  # nothing to store: no database is created


def test_extract_unsupported_file_type(tmp_path, db_path, reference_url):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = extract_cli([pdf], db_path, reference_url)
    assert_clear_failure(result)
    assert "unsupported file type" in result.output


def test_extract_bad_published_override(seeds_dir, db_path, reference_url):
    result = extract_cli([seeds_dir], db_path, reference_url, "--published", "someday")
    assert_clear_failure(result)
    assert "Error:" in result.output and "published date" in result.output


@pytest.mark.parametrize("bad", ["2022-02-30", "2023-13-01"])
def test_an_impossible_published_date_is_refused_before_any_model_call(seeds_dir, db_path, bad):
    # Nothing listens on port 9: had a call been made, the error would be a connection error.
    result = extract_cli([seeds_dir], db_path, "http://127.0.0.1:9/v1", "--published", bad)
    assert_clear_failure(result)
    assert f"cannot read the published date '{bad}'" in result.output
    assert "connect" not in result.output


def test_extract_server_not_running(db_path):
    # Nothing listens on port 9 of localhost: a connection error, reported per article.
    result = invoke(
        [
            "extract",
            seed_path("001"),
            "--db",
            db_path,
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "reference",
            "--retries",
            "0",
            "--silent",
        ]
    )
    assert_clear_failure(result)
    assert "cannot connect" in result.output
    assert count(db_path, "extractions", "status = 'failed'") == 1


# --- help ----------------------------------------------------------------------------


def test_group_help_lists_commands():
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert len(COMMANDS) >= 13
    for name in COMMANDS:
        assert re.search(rf"^  {name} ", result.output, re.M), name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name):
    command = cli.get_command(click.Context(cli), name)
    assert command.help and command.help.strip()
    result = invoke([name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage:")
    first_line = command.help.strip().splitlines()[0]
    assert re.sub(r"\s+", " ", first_line) in re.sub(r"\s+", " ", result.output)
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help text"


# --- demo ----------------------------------------------------------------------------


@pytest.mark.disable_socket
def test_demo_replays_without_network(tmp_path):
    db = tmp_path / "demo.db"
    result = invoke(["demo", "--db", db])
    assert result.exit_code == 0, result.output
    assert "Claims in the seed corpus" in result.stdout
    assert "Ryan Dillon" in result.stdout and "Mohammed Mohie" in result.stdout
    assert "no model is called" in result.output
    assert count(db, "claims") == reference_claim_count()
    assert count(db, "articles") == 5
    assert query(db, "SELECT model FROM runs WHERE command = 'demo'") == [{"model": "reference"}]


@pytest.mark.disable_socket
def test_demo_twice_gives_the_same_database(tmp_path):
    db = tmp_path / "demo.db"
    assert invoke(["demo", "--db", db, "--silent"]).exit_code == 0
    first = claims_json(db)
    assert invoke(["demo", "--db", db, "--silent"]).exit_code == 0
    second = claims_json(db)
    assert len(second) == reference_claim_count()
    strip = [{k: v for k, v in c.items() if k not in ("created_at", "extraction_id")} for c in first]
    assert strip == [{k: v for k, v in c.items() if k not in ("created_at", "extraction_id")} for c in second]


def test_untrusted_text_is_printed_as_text_not_markup(capsys):
    # A server's error text or an article's words may look like rich markup.
    from extractor.commands.extract import progress_reporter
    from extractor.output import output_rows
    from extractor.pipeline import Event

    _, on_event = progress_reporter(1, silent=True)
    on_event(Event("failed", "a.txt", "HTTP 500 closing tag [/model] and a [redacted] key"))
    assert "HTTP 500 closing tag [/model] and a [redacted] key" in capsys.readouterr().err
    output_rows([{"summary": "He said [/b] and [bold]no[/bold]."}], None, {"summary": lambda r: r["summary"]})
    assert "He said [/b] and [bold]no[/bold]." in capsys.readouterr().out


@pytest.mark.parametrize(("args", "words"), [(["claims", "--since", "2020-13-45"], "is not a date"),
                                            (["crosscheck", "--window", "-5"], "-5")])  # fmt: skip
def test_impossible_option_values_are_refused_before_anything_changes(db_path, args, words):
    db_path.write_bytes(b"")  # must stay untouched
    result = invoke([*args, "--db", str(db_path)])
    assert result.exit_code == 2
    assert words in result.output
    assert db_path.read_bytes() == b""


@pytest.mark.parametrize("command", [["demo"], ["claims"], ["crosscheck"], ["entities"]])
def test_a_sqlite_file_of_something_else_is_left_untouched(tmp_path, command):
    import sqlite3

    other = tmp_path / "mywork.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('keep me')")
    result = invoke([*command, "--db", str(other)])
    assert result.exit_code == 1
    assert "a SQLite database of something else, not of truce" in result.output
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["notes"]
        assert conn.execute("SELECT text FROM notes").fetchall() == [("keep me",)]


def test_extract_with_nothing_to_read_says_so_and_creates_no_database(tmp_path, db_path, reference_url):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = extract_cli([empty], db_path, reference_url)
    assert result.exit_code == 1 and "No articles in" in result.output
    missing = extract_cli([tmp_path / "nowhere.txt"], db_path, reference_url)
    assert missing.exit_code == 1 and "does not exist" in missing.output and "nothing was stored" in missing.output
    assert not db_path.exists()


def test_crosscheck_exits_1_when_adjudication_fails(tmp_path):
    db = str(tmp_path / "demo.db")
    assert invoke(["demo", "--db", db, "--silent"]).exit_code == 0
    # Nothing listens on port 9: every adjudication fails, the rules' findings stay.
    result = invoke(["crosscheck", "--db", db, "--adjudicate", "--base-url", "http://127.0.0.1:9/v1",
                     "--model", "judge", "--retries", "0"])  # fmt: skip
    assert result.exit_code == 1
    assert "adjudication failed" in result.output
    assert query(db, "SELECT COUNT(*) AS n FROM conflicts")[0]["n"] == 9


def test_claim_ids_stay_whole_in_an_80_column_table(extracted_db, monkeypatch, capsys):
    import rich.console

    from extractor import output
    from extractor.commands.query import CLAIM_COLUMNS
    from extractor.storage import store

    monkeypatch.setattr(output, "Console", lambda **_: rich.console.Console(width=80, force_terminal=False))
    rows = list(store.query_claims(store.open_db(extracted_db), store.ClaimFilters()))
    output.output_rows(rows, None, CLAIM_COLUMNS, title="Claims")
    printed = capsys.readouterr().out
    assert max(len(line) for line in printed.splitlines()) <= 80
    for row in rows:
        assert row["id"] in printed


# --- the process: what it loads, how it ends ---------------------------------------------


def test_a_command_that_only_reads_the_database_does_not_load_the_model_sdk(extracted_db):
    code = (
        "import sys; from click.testing import CliRunner; from extractor.cli import cli; "
        f"result = CliRunner().invoke(cli, ['claims', '--db', {str(extracted_db)!r}]); "
        "print(result.exit_code, sorted({'openai', 'instructor', 'jinja2', 'datasette'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split(None, 1) == ["0", "[]\n"]


def test_a_command_ends_with_its_output_flushed_its_exit_code_and_no_wal_file_left(extracted_db, tmp_path):
    # The command skips the interpreter's teardown (issue 9); the database must still be
    # closed, its write-ahead log checkpointed into the file, and nothing printed lost.
    db = tmp_path / "copy.db"
    with sqlite3.connect(extracted_db) as source, sqlite3.connect(db) as target:
        source.backup(target)
    target.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db"]
    first, second = (row["name"] for row in query(db, "SELECT DISTINCT name FROM parties ORDER BY name LIMIT 2"))
    listed = run_truce("claims", "--db", str(db), "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == count(db, "claims")
    merged = run_truce("entities", "merge", first, second, "--db", str(db), cwd=tmp_path)  # writes
    assert merged.returncode == 0, merged.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db"]  # no copy.db-wal, no -shm
    assert count(db, "entity_decisions") == 1  # the write is in the database file itself
    missing = run_truce("show", "no-such-claim", "--db", str(db), cwd=tmp_path)
    assert missing.returncode == 1
    assert "There is no claim 'no-such-claim'" in missing.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db"]  # closed on the error path too


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_output_that_cannot_be_written_is_never_reported_as_success(extracted_db, tmp_path):
    # A full disk: the few bytes of `[]` stay in the buffer until the command's last
    # flush, which the command does itself (it skips the interpreter's teardown).
    with open("/dev/full", "w") as full:
        done = run_truce("claims", "--db", str(extracted_db), "--party", "no such party", "--json", stdout=full)
    assert done.returncode == 120
    assert "the output could not be written" in done.stderr
