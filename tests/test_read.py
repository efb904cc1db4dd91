"""Reading articles (extractor/read.py): every supported format, metadata, stable ids, and
a clear ReadFailure for every kind of bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from extractor.read import Article, ReadFailure, read_articles


def read(*paths: Path, **kwargs) -> list[Article | ReadFailure]:
    return list(read_articles(list(paths), **kwargs))


def one_article(path: Path, **kwargs) -> Article:
    results = read(path, **kwargs)
    assert len(results) == 1
    assert isinstance(results[0], Article), results[0]
    return results[0]


def one_failure(path: Path, **kwargs) -> ReadFailure:
    results = read(path, **kwargs)
    assert len(results) == 1
    assert isinstance(results[0], ReadFailure), results[0]
    return results[0]


# --- .txt -------------------------------------------------------------------------


def test_txt_title_is_first_line_and_dateline_is_detected(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("\n  Kurds receive ISIS truce offers  \n\nNOW.\nApril 8, 2015\n\nBEIRUT \u2013 Body.\n", "utf-8")
    article = one_article(path)

    assert article.title == "Kurds receive ISIS truce offers"
    assert article.published == "2015-04-08"
    assert article.source == str(path)
    assert article.publisher is None and article.url is None


def test_seed_is_read_with_its_exact_text(seeds_dir, seed_text):
    path = next(seeds_dir.glob("004_*.txt"))
    article = one_article(path)

    assert article.text == seed_text("004")
    assert article.published == "2020-10-12"
    assert article.title == "Left Menu"  # the first line, boilerplate or not


def test_txt_without_dateline_has_no_published_date(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Truce holds\n\nSources said on Friday the truce held.", "utf-8")
    assert one_article(path).published is None


def test_crlf_line_endings_are_normalised(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"Title\r\n\r\nLine one.\r\nLine two.\rLine three.\r\n")
    article = one_article(path)

    assert article.text == "Title\n\nLine one.\nLine two.\nLine three.\n"
    assert "\r" not in article.text
    assert article.title == "Title"


def test_crlf_and_lf_versions_of_an_article_get_the_same_id(tmp_path):
    (tmp_path / "crlf.txt").write_bytes(b"Title\r\n\r\nThe truce held.\r\n")
    (tmp_path / "lf.txt").write_bytes(b"Title\n\nThe truce held.\n")
    assert one_article(tmp_path / "crlf.txt").id == one_article(tmp_path / "lf.txt").id


def test_utf8_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffTitle\n\nBody.".encode())
    article = one_article(path)
    assert article.text == "Title\n\nBody."
    assert article.title == "Title"


# --- ids --------------------------------------------------------------------------


def test_article_id_is_sha256_of_text_prefix(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Title\n\nThe truce held.", "utf-8")
    article = one_article(path)

    assert article.id == hashlib.sha256(article.text.encode("utf-8")).hexdigest()[:16]
    assert len(article.id) == 16


def test_same_text_gives_same_id_whatever_the_file_or_format(tmp_path):
    (tmp_path / "a.txt").write_text("Ceasefire agreed.", "utf-8")
    (tmp_path / "b.txt").write_text("Ceasefire agreed.", "utf-8")
    (tmp_path / "c.jsonl").write_text(json.dumps({"text": "Ceasefire agreed.", "title": "T"}) + "\n", "utf-8")
    (tmp_path / "d.txt").write_text("Ceasefire rejected.", "utf-8")

    ids = [one_article(tmp_path / name).id for name in ("a.txt", "b.txt", "c.jsonl", "d.txt")]
    assert ids[0] == ids[1] == ids[2]
    assert ids[3] != ids[0]


# --- .md --------------------------------------------------------------------------


def test_markdown_front_matter_gives_metadata(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(
        "---\n"
        "title: Coalition confirms talks\n"
        "publisher: Rudaw\n"
        "url: https://rudaw.example/1\n"
        "date: 2017-10-27\n"
        "author: Staff\n"
        "---\n"
        "ERBIL \u2013 The US-led Global Coalition has confirmed talks.\n",
        "utf-8",
    )
    article = one_article(path)

    assert article.title == "Coalition confirms talks"
    assert article.publisher == "Rudaw"
    assert article.url == "https://rudaw.example/1"
    assert article.published == "2017-10-27"
    assert article.metadata == {"author": "Staff"}
    assert article.text.startswith("ERBIL")
    assert "---" not in article.text and "publisher:" not in article.text


def test_markdown_published_written_as_words(tmp_path):
    path = tmp_path / "a.markdown"
    path.write_text("---\npublished: April 8, 2015\n---\nBody text.\n", "utf-8")
    article = one_article(path)
    assert article.published == "2015-04-08"
    assert article.title == "Body text."


def test_markdown_with_unreadable_date_is_a_failure(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ndate: sometime last spring\n---\nBody text.\n", "utf-8")
    failure = one_failure(path)
    assert "published date" in failure.reason
    assert "YYYY-MM-DD" in failure.reason


def test_markdown_with_only_front_matter_is_empty(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Nothing here\n---\n\n", "utf-8")
    assert "is empty" in one_failure(path).reason


def test_markdown_with_broken_front_matter_is_a_read_failure(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: [unclosed\n---\nBody text.\n", "utf-8")
    failure = one_failure(path)
    assert str(path) in failure.reason


# --- .html ------------------------------------------------------------------------

HTML = """<!doctype html>
<html><head>
<title>Truce in Hasaka</title>
<meta property="og:site_name" content="Zaman al-Wasl">
<meta property="og:url" content="https://zamanalwsl.example/1">
<meta property="og:title" content="A different og title">
<meta property="article:published_time" content="2017-11-24T10:00:00Z">
<style>body { color: red } .ceasefire-ad { display: none }</style>
<script>var tracker = "ceasefire-tracking-code";</script>
</head>
<body>
<h1>US-led forces, ISIS reach 1-month truce</h1>
<p>The SDF reached a <b>one-month</b> truce &amp; halted the offensive.</p>
<p>Sources&nbsp;said   so.</p>
<noscript>Please enable JavaScript</noscript>
<script type="application/ld+json">{"@type": "NewsArticle"}</script>
</body></html>
"""


def test_html_is_reduced_to_text_with_metadata(tmp_path):
    path = tmp_path / "a.html"
    path.write_text(HTML, "utf-8")
    article = one_article(path)

    assert article.title == "Truce in Hasaka"  # <title> wins over og:title
    assert article.publisher == "Zaman al-Wasl"
    assert article.url == "https://zamanalwsl.example/1"
    assert article.published == "2017-11-24"
    assert "The SDF reached a" in article.text
    assert "one-month" in article.text
    assert "truce & halted" in article.text  # entities decoded
    assert "Sources said so." in article.text  # nbsp and runs of spaces collapsed


@pytest.mark.parametrize(
    "leftover", ["<", ">", "color: red", "tracker", "ceasefire-tracking-code", "NewsArticle", "enable JavaScript"]
)
def test_html_drops_tags_scripts_and_styles(tmp_path, leftover):
    path = tmp_path / "a.htm"
    path.write_text(HTML, "utf-8")
    assert leftover not in one_article(path).text


def test_html_without_body_text_is_empty(tmp_path):
    path = tmp_path / "a.html"
    path.write_text("<html><head><script>var x = 1;</script></head><body>  </body></html>", "utf-8")
    assert "is empty" in one_failure(path).reason


# --- .jsonl -----------------------------------------------------------------------


def test_jsonl_one_article_per_line_with_metadata(tmp_path):
    path = tmp_path / "batch.jsonl"
    lines = [
        {
            "text": "First article about a truce.",
            "title": "One",
            "published": "2020-10-12",
            "publisher": "AP",
            "url": "https://ap.example/1",
            "lang": "en",
        },
        {"body": "Second article, text under 'body'.", "date": "April 8, 2015"},
        {"content": "Third article, text under 'content'.", "published_at": "2017-11-24T08:00:00"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", "utf-8")
    first, second, third = read(path)

    assert isinstance(first, Article) and isinstance(second, Article) and isinstance(third, Article)
    assert first.text == "First article about a truce."
    assert (first.title, first.publisher, first.url, first.published) == (
        "One",
        "AP",
        "https://ap.example/1",
        "2020-10-12",
    )
    assert first.metadata == {"lang": "en"}
    assert first.source == f"{path}:1"
    assert second.text == "Second article, text under 'body'."
    assert second.published == "2015-04-08"
    assert second.source == f"{path}:2"
    assert third.published == "2017-11-24"


def test_jsonl_bad_line_is_a_failure_naming_file_and_line_and_others_still_load(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text(
        json.dumps({"text": "Good one."}) + "\n"
        "{not json\n"
        "\n"
        + json.dumps({"text": "Good two."})
        + "\n"
        + json.dumps(["a", "list"])
        + "\n"
        + json.dumps({"title": "no text at all"})
        + "\n"
        + json.dumps({"text": "   "})
        + "\n"
        + json.dumps({"text": "Good three.", "published": "not a date"})
        + "\n",
        "utf-8",
    )
    results = read(path)

    articles = [r for r in results if isinstance(r, Article)]
    failures = {r.source: r.reason for r in results if isinstance(r, ReadFailure)}
    assert [a.text for a in articles] == ["Good one.", "Good two."]
    assert [a.source for a in articles] == [f"{path}:1", f"{path}:4"]
    assert set(failures) == {f"{path}:2", f"{path}:5", f"{path}:6", f"{path}:7", f"{path}:8"}
    assert "not valid JSON" in failures[f"{path}:2"]
    assert "not a JSON object" in failures[f"{path}:5"]
    assert "no 'text' field" in failures[f"{path}:6"]
    assert "is empty" in failures[f"{path}:7"]
    assert "published date" in failures[f"{path}:8"]
    for source, reason in failures.items():
        assert reason.startswith(source)  # the message names file:line


def test_jsonl_line_over_max_chars_fails_alone(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps({"text": "x" * 500}) + "\n" + json.dumps({"text": "short"}) + "\n", "utf-8")
    results = read(path, max_chars=100)

    assert isinstance(results[0], ReadFailure) and "more than the limit of 100" in results[0].reason
    assert isinstance(results[1], Article) and results[1].text == "short"


def test_empty_jsonl_is_reported(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text("\n\n", "utf-8")
    assert "is empty" in one_failure(path).reason


# --- folders ----------------------------------------------------------------------


def test_folder_is_read_recursively_in_a_stable_order_ignoring_other_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "2.txt").write_text("Article B2", "utf-8")
    (tmp_path / "a" / "deep" / "1.md").write_text("Article A1", "utf-8")
    (tmp_path / "a" / "0.TXT").write_text("Article A0", "utf-8")
    (tmp_path / "z.html").write_text("<p>Article Z</p>", "utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4 binary")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "README").write_text("no suffix", "utf-8")

    results = read(tmp_path)

    assert all(isinstance(r, Article) for r in results), results
    assert [r.text for r in results] == ["Article A0", "Article A1", "Article B2", "Article Z"]
    assert results == read(tmp_path)  # same order every time


def test_seed_folder_gives_every_seed(seeds_dir):
    results = read(seeds_dir)
    assert len(results) == len(list(seeds_dir.glob("*.txt"))) == 5
    assert all(isinstance(r, Article) for r in results)
    assert [Path(r.source).name[:3] for r in results] == ["000", "001", "002", "003", "004"]


def test_files_and_folders_can_be_mixed(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.txt").write_text("In folder", "utf-8")
    (tmp_path / "b.txt").write_text("Named file", "utf-8")
    results = read(tmp_path / "b.txt", tmp_path / "dir", tmp_path / "missing.txt")

    assert [getattr(r, "text", None) for r in results[:2]] == ["Named file", "In folder"]
    assert isinstance(results[2], ReadFailure)


# --- overrides --------------------------------------------------------------------


def test_overrides_replace_metadata_but_not_the_text_or_id(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Old\npublisher: Old Pub\nurl: https://old.example\ndate: 2015-04-08\n---\nBody.\n")
    original = one_article(path)
    overridden = one_article(
        path,
        overrides={"title": "New", "publisher": "NOW.", "url": "https://new.example", "published": "8 April 2016"},
    )

    assert (overridden.title, overridden.publisher, overridden.url, overridden.published) == (
        "New",
        "NOW.",
        "https://new.example",
        "2016-04-08",
    )
    assert overridden.text == original.text
    assert overridden.id == original.id


def test_empty_overrides_keep_what_the_input_says(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Kept\npublisher: Kept Pub\n---\nBody.\n")
    article = one_article(path, overrides={"title": None, "publisher": ""})
    assert (article.title, article.publisher) == ("Kept", "Kept Pub")


def test_overrides_apply_to_every_article(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps({"text": "One", "publisher": "AP"}) + "\n" + json.dumps({"text": "Two"}) + "\n")
    results = read(path, overrides={"publisher": "Reuters"})
    assert [r.publisher for r in results] == ["Reuters", "Reuters"]


# --- bad input --------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"")
    failure = one_failure(path)
    assert failure.source == str(path)
    assert failure.reason == f"{path} is empty: there is no text to extract from."


def test_whitespace_only_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(" \n\t\r\n  \n", "utf-8")
    assert "is empty" in one_failure(path).reason


def test_binary_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"Title\x00\x01\x02\x03binary")
    assert "binary" in one_failure(path).reason


def test_latin1_bytes_read_as_utf8_point_at_encoding_option(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("Caf\u00e9 truce in Kirkuk\n".encode("latin-1"))
    failure = one_failure(path)

    assert "--encoding" in failure.reason
    assert "utf-8" in failure.reason
    assert "0xe9" in failure.reason


def test_latin1_file_reads_with_latin1_encoding(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("Caf\u00e9 truce in Kirkuk\n".encode("latin-1"))
    article = one_article(path, encoding="latin-1")
    assert article.text == "Caf\u00e9 truce in Kirkuk\n"


def test_unknown_encoding_is_a_failure(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Body", "utf-8")
    assert "Unknown encoding" in one_failure(path, encoding="no-such-codec").reason


def test_article_over_max_chars(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x" * 101, "utf-8")
    failure = one_failure(path, max_chars=100)
    assert "101 characters" in failure.reason
    assert "--max-chars" in failure.reason
    assert isinstance(read(path, max_chars=101)[0], Article)


def test_file_far_over_max_chars_is_refused_before_reading(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x" * 2000, "utf-8")
    assert "too large" in one_failure(path, max_chars=100).reason


def test_missing_path(tmp_path):
    failure = one_failure(tmp_path / "nowhere.txt")
    assert "does not exist" in failure.reason
    assert "nowhere.txt" in failure.reason


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    failure = one_failure(path)
    assert "unsupported file type" in failure.reason
    assert ".txt" in failure.reason and ".jsonl" in failure.reason


def test_a_bad_file_does_not_stop_the_good_ones(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_bytes(b"\x00\x00")
    (tmp_path / "c.txt").write_text("Good", "utf-8")
    results = read(tmp_path)
    assert [type(r).__name__ for r in results] == ["ReadFailure", "ReadFailure", "Article"]
