"""Prompt rendering and versioning (extractor/prompts.py)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from extractor.extraction import prompts
from extractor.extraction.schema import ArticleExtraction
from extractor.read import make_article

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "prompts"
SEEDS = sorted((ROOT / "evals" / "suites" / "seeds" / "articles").glob("*.txt"))


def _clear_caches() -> None:
    prompts._environment.cache_clear()
    prompts.load_examples.cache_clear()


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def prompt_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of prompts/ that the module reads instead of the real one."""
    copy = tmp_path / "prompts"
    shutil.copytree(PROMPTS, copy)
    monkeypatch.setattr(prompts, "prompt_dir", lambda: copy)
    _clear_caches()
    return copy


def _article(text: str, **meta):
    return make_article(text, "test.txt", **meta)


def _between_article_tags(content: str) -> str:
    start = content.index("<article>\n") + len("<article>\n")
    end = content.rindex("\n</article>")
    return content[start:end]


# --- rendering --------------------------------------------------------------------


def test_messages_are_system_then_user():
    messages = prompts.extraction_messages(_article("Title\n\nThe truce held."))
    assert [m["role"] for m in messages] == ["system", "user"]
    assert all(m["content"].strip() for m in messages)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_text_is_verbatim_between_article_tags(seed):
    article = _article(seed.read_text("utf-8"))
    user = prompts.extraction_messages(article)[1]["content"]

    assert _between_article_tags(user) == article.text
    assert user.count("<article>") == 1


def test_awkward_text_is_not_escaped_or_interpreted():
    text = (
        "  Leading spaces\n\n{{ article.title }} {% if x %} {# not a comment #}\n"
        "<b>bold</b> & \u201ccurly\u201d \u2014 \u0647\u0627\u062f\u064a \U0001f600\n\ntrailing spaces   "
    )
    article = _article(text)
    user = prompts.extraction_messages(article)[1]["content"]

    assert _between_article_tags(user) == text
    assert "&amp;" not in user


def test_article_metadata_is_shown_to_the_model():
    article = _article(
        "Body of the article.", title="Truce in Hasaka", publisher="Zaman al-Wasl", published="2017-11-24"
    )
    user = prompts.extraction_messages(article)[1]["content"]

    assert "Title: Truce in Hasaka" in user
    assert "Publisher: Zaman al-Wasl" in user
    assert "Published: 2017-11-24" in user


def test_missing_metadata_lines_are_left_out():
    article = replace(_article("Body."), title=None)
    user = prompts.extraction_messages(article)[1]["content"]

    assert "Title:" not in user
    assert "Publisher:" not in user
    assert "Published:" not in user


def test_system_prompt_has_a_worked_example_with_article_and_answer():
    examples = prompts.load_examples()
    system = prompts.extraction_messages(_article("x"))[0]["content"]

    assert len(examples) >= 1
    for example in examples:
        assert f"<article>\n{example.article}\n</article>" in system
        assert example.answer in system
        answer = ArticleExtraction.model_validate_json(example.answer)
        assert answer.claims, "a worked example should show at least one claim"
        for claim in answer.claims:
            for evidence in claim.evidence:
                assert evidence.quote in example.article


def _paragraphs(text: str, min_chars: int = 60) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) >= min_chars]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_worked_examples_are_not_seeds(seed):
    seed_text = seed.read_text("utf-8")
    seed_paragraphs = _paragraphs(seed_text)
    assert seed_paragraphs

    for example in prompts.load_examples():
        assert example.article.strip() != seed_text.strip()
        shared = [p for p in seed_paragraphs if p in example.article]
        assert shared == [], f"worked example copies {seed.name}"


def test_system_prompt_quotes_no_seed_paragraph():
    system = prompts.extraction_messages(_article("x"))[0]["content"]
    for seed in SEEDS:
        for paragraph in _paragraphs(seed.read_text("utf-8")):
            assert paragraph not in system, f"{seed.name} leaks into the system prompt"


# --- hash -------------------------------------------------------------------------


def test_prompt_hash_is_stable():
    first = prompts.extraction_prompt_hash()
    _clear_caches()
    second = prompts.extraction_prompt_hash()

    assert first == second
    assert re.fullmatch(r"[0-9a-f]{12}", first)


def test_unchanged_copy_gives_the_same_hash(prompt_copy):
    original = prompts.content_hash(prompts.EXTRACT_TEMPLATES, ArticleExtraction, with_examples=True)
    assert prompts.prompt_dir() == prompt_copy
    assert prompts.extraction_prompt_hash() == original


def _original_hash(monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(prompts, "prompt_dir", lambda: PROMPTS)
        _clear_caches()
        value = prompts.extraction_prompt_hash()
    _clear_caches()
    return value


@pytest.mark.parametrize("template", prompts.EXTRACT_TEMPLATES)
def test_hash_changes_when_a_template_changes(template, prompt_copy, monkeypatch):
    original = _original_hash(monkeypatch)
    path = prompt_copy / template
    path.write_text(path.read_text("utf-8") + "\nOne more rule.\n", "utf-8")

    assert prompts.extraction_prompt_hash() != original


def test_edited_system_template_is_what_the_model_sees(prompt_copy):
    path = prompt_copy / "extract" / "system.j2"
    path.write_text("EDITED RULES.\n" + path.read_text("utf-8"), "utf-8")

    system = prompts.extraction_messages(_article("x"))[0]["content"]
    assert system.startswith("EDITED RULES.")


def test_hash_changes_when_a_worked_example_changes(prompt_copy, monkeypatch):
    original = _original_hash(monkeypatch)
    example_path = sorted((prompt_copy / "examples").glob("*.json"))[0]
    data = json.loads(example_path.read_text("utf-8"))
    data["response"]["claims"][0]["summary"] += " (edited)"
    example_path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")

    assert prompts.extraction_prompt_hash() != original


def test_worked_example_with_a_quote_not_in_its_article_is_refused(prompt_copy):
    example_path = sorted((prompt_copy / "examples").glob("*.json"))[0]
    data = json.loads(example_path.read_text("utf-8"))
    data["response"]["claims"][0]["evidence"][0]["quote"] = "A sentence the example article never says."
    example_path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")

    with pytest.raises(ValueError, match="quote not in its article"):
        prompts.load_examples()


def test_what_every_call_repeats_comes_first_and_is_byte_identical():
    """Servers with prefix caching (OpenAI, vLLM, llama.cpp) reuse the shared start of a
    prompt: the rules, the worked example and the schema; the article comes last."""
    import httpx2
    from truce_helpers import completion_body, mock_client

    from extractor.extraction.extract import extract_article

    bodies: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        bodies.append(request.content)
        return httpx2.Response(200, json=completion_body('{"claims": []}'))

    client = mock_client(handler)
    for text in ("Both sides agreed a truce on Monday.", "The rebels offered a ceasefire in the north."):
        extract_article(make_article(text, "a.txt"), client, False)
    first, second = (json.loads(body) for body in bodies)
    assert first["messages"][0] == second["messages"][0] and first["messages"][0]["role"] == "system"
    assert first["response_format"] == second["response_format"]
    # Byte for byte: the request text up to the user message is the same.
    prefix = bodies[0][: bodies[0].index(b'"role":"user"') if b'"role":"user"' in bodies[0] else 0]
    assert prefix and bodies[1].startswith(prefix)
    assert first["messages"][-1]["role"] == "user"
    assert first["messages"][-1]["content"].rstrip().endswith("Both sides agreed a truce on Monday.\n</article>")
