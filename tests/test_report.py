"""`truce report`: the HTML evidence page, checked as HTML and in a real headless Chromium."""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlite_utils import Database
from truce_helpers import invoke

from extractor.crosscheck.run import run_crosscheck
from extractor.demo import run_demo
from extractor.extraction.extract import ArticleExtractionResult, ground_claim
from extractor.extraction.schema import TruceClaim
from extractor.grounding.ground import NormalisedText
from extractor.read import Article, article_id
from extractor.report.audit import audit
from extractor.report.browser import dump_dom, find_chromium, screenshot
from extractor.report.html import Quote, mark_text, render_report
from extractor.storage import store

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"}

# An invented article (no seed): quotes that cross, markup in the text and in the model's
# words, and a quote the model made up.
ARTICLE_TEXT = """Ceasefire <talks> in Valdoria & "beyond"
VALDORIA CITY, March 3 - The Northern Front said on Monday it agreed to a 30-day ceasefire with the government. \
Gen. Arlo Venn, the army's commander, said the army "will halt all operations at midnight" but denied any truce \
in the eastern hills.
A reader wrote: <script>alert("x")</script> the truce is a lie.
The market reopened on Tuesday."""

AGREED = "The Northern Front said on Monday it agreed to a 30-day ceasefire with the government."
HALT = 'Gen. Arlo Venn, the army\'s commander, said the army "will halt all operations at midnight"'
DENIED = 'the army "will halt all operations at midnight" but denied any truce in the eastern hills.'
CLAIMS = [
    {
        "kind": "agreement",
        "summary": "The Northern Front says it agreed a 30-day ceasefire with the government.",
        "parties": [{"name": "Northern Front", "role": "party"}, {"name": "the government", "role": "party"}],
        "factuality": "reported",
        "attribution": {"speaker": {"name": None, "affiliation": "Northern Front", "channel": "statement"}},
        "evidence": [{"quote": AGREED}],
    },
    {
        "kind": "declaration",
        "summary": "General Venn says the army <b>will halt</b> all operations at midnight.",
        "parties": [{"name": "the army", "role": "proposer"}],
        "factuality": "reported",
        "attribution": {"speaker": {"name": "Arlo Venn", "title": "commander"}},
        "evidence": [{"quote": HALT}],
    },
    {
        "kind": "denial",
        "summary": "Venn denies any truce in the eastern hills.",
        "parties": [{"name": "the army", "role": "party"}],
        "factuality": "negated",
        "attribution": {"speaker": {"name": "Arlo Venn"}},
        "evidence": [{"quote": DENIED}],  # crosses HALT
    },
    {
        "kind": "offer",
        "summary": "The government offered a permanent truce.",
        "parties": [{"name": "the government", "role": "proposer"}],
        "factuality": "reported",
        "evidence": [{"quote": "The government offered a permanent truce to all <rebels>."}],
    },
]


def store_article(db, text: str, claims: list[dict], url: str | None = None) -> str:
    """Store an article and claims as a model would have returned them, through the real
    grounding and storage (no model call)."""
    article = Article(article_id(text), text, "invented.txt", title="Valdoria <truce>", url=url)
    normalised = NormalisedText.of(text)
    grounded = [ground_claim(TruceClaim.model_validate(claim), article, normalised) for claim in claims]
    run_id = store.start_run(db, "test", "test-model")
    store.save_extraction(db, run_id, ArticleExtractionResult(article, grounded), "test-model", "test-prompt")
    return article.id


class Structure(HTMLParser):
    """Checks that every element is closed in the order opened; collects ids, links and
    the attributes of every element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.elements: list[tuple[str, dict, tuple[str, ...]]] = []  # tag, attributes, enclosing tags' ids/classes
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        context = tuple(s for s in self.stack)
        self.elements.append((tag, attributes, context))
        if tag not in VOID:
            label = tag + "".join(f"#{attributes[k]}" for k in ("id",) if k in attributes)
            label += "".join(f".{c}" for c in attributes.get("class", "").split())
            self.stack.append(label)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1].split("#")[0].split(".")[0] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs, _ in self.elements if "id" in attrs}

    def local_links(self) -> list[str]:
        return [
            attrs["href"][1:] for tag, attrs, _ in self.elements if tag == "a" and attrs.get("href", "").startswith("#")
        ]


def parse(page: str) -> Structure:
    parser = Structure()
    parser.feed(page)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert not parser.stack, f"unclosed: {parser.stack[-5:]}"
    return parser


@pytest.fixture
def invented_db(tmp_path):
    db = store.open_db(tmp_path / "invented.db")
    store_article(db, ARTICLE_TEXT, CLAIMS, url="javascript:alert(1)")
    run_crosscheck(db)
    return db


@dataclass
class Demo:
    path: Path
    db: Database
    page: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    """The demo database and its report, written by `truce report`."""
    folder = tmp_path_factory.mktemp("report")
    db = run_demo(folder / "demo.db").db
    page = folder / "report.html"
    result = invoke(["report", "--db", folder / "demo.db", "--out", page])
    assert result.exit_code == 0, result.output
    claims, conflicts = db["claims"].count, db["conflicts"].count
    assert f"{claims} claim(s)" in result.output and f"{conflicts} conflict(s)" in result.output
    return Demo(folder / "demo.db", db, page)


# --- the page as HTML ----------------------------------------------------------------------


def test_crossing_quotes_are_cut_into_properly_nested_marks():
    text = "0123456789"
    quotes = [Quote("a", "offer", 0, 2, 6), Quote("b", "denial", 0, 4, 9)]
    pieces = mark_text(text, quotes)
    assert "".join(p.text for p in pieces) == text
    assert [(p.text, [m.claim_id for m in p.marks]) for p in pieces] == [
        ("01", []),
        ("23", ["a"]),
        ("45", ["a", "b"]),
        ("678", ["b"]),
        ("9", []),
    ]
    # Each quote's anchor sits on its first piece only.
    assert [(p.text, m.id) for p in pieces for m in p.marks if m.id] == [("23", "ev-a-0"), ("45", "ev-b-0")]


def test_report_marks_every_aligned_quote_and_flags_the_made_up_one(invented_db):
    page, summary = render_report(invented_db)
    html = parse(page)
    claims = {c["id"]: c for c in invented_db.query("SELECT * FROM claims")}
    marks = [attrs for tag, attrs, _ in html.elements if tag == "mark" and "data-claim" in attrs]
    anchored = {attrs["id"]: attrs["data-claim"] for attrs in marks if "id" in attrs}
    aligned = list(invented_db.query("SELECT claim_id, position FROM evidence WHERE start IS NOT NULL"))
    assert set(anchored) == {f"ev-{r['claim_id']}-{r['position']}" for r in aligned}
    assert summary.quotes_marked == len(aligned) == 3
    # The crossing quotes of the declaration and the denial share the words they both hold.
    shared = [ctx for tag, attrs, ctx in html.elements if tag == "mark" and any(c.startswith("mark") for c in ctx)]
    assert shared, "the overlap of two quotes is a mark inside a mark"
    # The offer's quote is not in the article: no mark, and its card says so.
    offer = next(cid for cid, c in claims.items() if c["kind"] == "offer")
    assert claims[offer]["grounding"] == "ungrounded"
    assert offer not in {attrs["data-claim"] for attrs in marks}
    card = next(attrs for tag, attrs, _ in html.elements if attrs.get("id") == f"claim-{offer}")
    assert card["data-grounding"] == "ungrounded" and "not-grounded" in card["class"]
    assert "UNGROUNDED" in page and "not found in the article" in page
    assert summary.not_grounded == 1


def test_article_and_model_text_are_escaped(invented_db):
    page, _ = render_report(invented_db)
    html = parse(page)
    assert not [tag for tag, _, _ in html.elements if tag in ("script", "b", "talks", "rebels")]
    text = "".join(html.text)
    assert '<script>alert("x")</script>' in text  # shown as text, never run
    assert "<b>will halt</b>" in text and "<talks>" in text and "to all <rebels>" in text
    assert "javascript:" not in " ".join(attrs.get("href", "") for _, attrs, _ in html.elements)


def test_page_is_self_contained_and_every_link_lands(invented_db, demo):
    for db in (invented_db, demo.db):
        page, _ = render_report(db)
        html = parse(page)
        assert not [
            (tag, attrs) for tag, attrs, _ in html.elements if "src" in attrs or tag in ("link", "script", "iframe")
        ]
        assert not re.search(r"url\(|@import", page)
        assert set(html.local_links()) <= html.ids()


def test_uncovered_truce_sentences_are_shown_in_the_text(invented_db):
    page, summary = render_report(invented_db)
    html = parse(page)
    spans = [
        attrs for tag, attrs, _ in html.elements if "uncovered" in attrs.get("class", "").split() and "id" in attrs
    ]
    # The headline and the reader's line speak of a truce and no claim quotes them; the
    # market sentence does not speak of one.
    assert summary.uncovered == len(spans) == 2
    text = "".join(html.text)
    assert "The market reopened" in text


def test_articles_without_a_successful_extraction_are_labelled_and_not_audited(invented_db):
    _, extracted_only = render_report(invented_db)
    # One stored by `truce batch prepare` and not ingested yet, one whose extraction failed:
    # no model answered for them, so none of their truce sentences is the model's miss.
    text = "Rebels offered a truce in the north."
    prepared = Article(article_id(text), text, "prepared.txt")
    store.save_article(invented_db, prepared)
    text = "The army announced a ceasefire. Talks halted."
    failed = Article(article_id(text), text, "failed.txt")
    run_id = store.start_run(invented_db, "test", "test-model")
    failure = ArticleExtractionResult(failed, error="The server answered <500>.")
    store.save_extraction(invented_db, run_id, failure, "test-model", "test-prompt")

    page, summary = render_report(invented_db)
    html = parse(page)
    assert summary.articles == 3 and summary.not_audited == 2
    assert summary.uncovered == extracted_only.uncovered == 2
    underlined = [attrs["id"] for _, attrs, _ in html.elements if attrs.get("id", "").startswith("uncovered-")]
    assert len(underlined) == 2 and not [u for u in underlined if prepared.id in u or failed.id in u]
    states = {
        section: attrs["data-extraction"]
        for _, attrs, context in html.elements
        if "extraction-state" in attrs.get("class", "").split()
        for section in context
        if section.startswith("section#article-")
    }
    assert states == {
        f"section#article-{prepared.id}.article": "not-extracted",
        f"section#article-{failed.id}.article": "failed",
    }
    shown = "".join(html.text)
    assert "Not extracted yet" in shown and "Extraction failed: The server answered <500>." in shown
    assert "No claim was stored" not in shown
    assert set(html.local_links()) <= html.ids()


def test_report_underlines_the_sentences_the_audit_lists(demo):
    html = parse(demo.page.read_text("utf-8"))
    underlined = {attrs["id"] for _, attrs, _ in html.elements if attrs.get("id", "").startswith("uncovered-")}
    listed = {f"uncovered-{s.article_id}-{s.start}" for s in audit(demo.db)}
    assert underlined == listed and listed


def test_report_of_one_article_shows_its_conflicts_without_dangling_links(demo, tmp_path):
    article = "410fb558418070a2"
    out = tmp_path / "one.html"
    result = invoke(["report", "--db", demo.path, "--out", out, "--article", article[:6]])
    assert result.exit_code == 0, result.output
    html = parse(out.read_text("utf-8"))
    sections = [attrs["data-article"] for tag, attrs, _ in html.elements if "data-article" in attrs]
    assert sections == [article]
    involved = list(
        demo.db.query(
            "SELECT f.id FROM conflicts f JOIN claims a ON a.id = f.claim_a JOIN claims b ON b.id = f.claim_b "
            "WHERE a.article_id = ? OR b.article_id = ?",
            [article, article],
        )
    )
    shown = [attrs["id"] for tag, attrs, _ in html.elements if "conflict" in attrs.get("class", "").split()]
    assert len(shown) == len(involved) > 0
    assert set(html.local_links()) <= html.ids()


def test_cli_errors_are_one_sentence(tmp_path, demo):
    missing = invoke(["report", "--db", tmp_path / "none.db", "--out", tmp_path / "r.html"])
    assert missing.exit_code == 1 and "There is no database" in missing.output
    unknown = invoke(["report", "--db", demo.path, "--out", tmp_path / "r.html", "--article", "ffff0000"])
    assert unknown.exit_code == 1 and "There is no article 'ffff0000'" in unknown.output
    assert "Traceback" not in unknown.output and not (tmp_path / "r.html").exists()


# --- the page in a real browser -----------------------------------------------------------

# CI sets TRUCE_REQUIRE_CHROMIUM (.ci/run installs Debian's chromium): there a missing
# browser fails these tests instead of skipping them unseen.
if find_chromium() is None and os.environ.get("TRUCE_REQUIRE_CHROMIUM"):
    raise RuntimeError("TRUCE_REQUIRE_CHROMIUM is set but chromium is not on PATH")
needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="Debian's chromium is not installed (not on PATH)")


@needs_chromium
def test_chromium_renders_the_demo_marks_and_conflicts(demo):
    dom = parse(dump_dom(demo.page))
    aligned = list(demo.db.query("SELECT claim_id, position FROM evidence WHERE start IS NOT NULL"))
    marks = {attrs["id"]: attrs["data-claim"] for tag, attrs, _ in dom.elements if tag == "mark" and "id" in attrs}
    assert set(marks) == {f"ev-{r['claim_id']}-{r['position']}" for r in aligned}
    assert set(marks.values()) == {r["claim_id"] for r in aligned}
    conflicts = list(demo.db.query("SELECT id, type, claim_a, claim_b FROM conflicts"))
    shown = {
        attrs["id"]: attrs
        for tag, attrs, _ in dom.elements
        if tag == "div" and "conflict" in attrs.get("class", "").split()
    }
    assert len(shown) == len(conflicts) > 0
    for conflict in conflicts:
        element = shown[f"conflict-{conflict['id']}"]
        assert element["data-type"] == conflict["type"]
        links = [
            attrs["href"][1:]
            for tag, attrs, context in dom.elements
            if tag == "a"
            and "evidence-link" in attrs.get("class", "")
            and f"div#conflict-{conflict['id']}.conflict" in context
        ]
        # Each side links to its own claim's evidence marks, which are on the page.
        for side in ("claim_a", "claim_b"):
            targets = [marks[link] for link in links if link in marks and marks[link] == conflict[side]]
            assert targets, f"conflict {conflict['id']} has no link to the evidence of {conflict[side]}"
    assert "conflicts" in dom.ids()


@needs_chromium
def test_chromium_screenshot_of_the_demo_report(demo, tmp_path):
    png = tmp_path / "report.png"
    screenshot(demo.page, png, 1280, 2000)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000  # a rendered page, not a blank one


def test_docs_screenshot_is_kept_small():
    png = Path(__file__).resolve().parent.parent / "docs" / "report.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 500_000
