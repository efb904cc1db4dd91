"""Prompt templates from `prompts/`, rendered per article and versioned by content hash.

The hash covers the templates, the worked examples and the JSON schema the model is
given, so any change to what the model sees gives a new hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from pydantic import BaseModel

from extractor.extraction.schema import ArticleExtraction
from extractor.read import Article
from extractor.resources import project_path


@dataclass(frozen=True)
class Example:
    article: str
    answer: str


def prompt_dir() -> Path:
    return project_path("prompts")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(prompt_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(template: str, **values: object) -> str:
    return _environment().get_template(template).render(**values).strip() + "\n"


@lru_cache(maxsize=1)
def load_examples() -> tuple[Example, ...]:
    """The worked examples, each checked against the schema and its own article."""
    examples = []
    for path in sorted((prompt_dir() / "examples").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        answer = ArticleExtraction.model_validate(data["response"])
        for claim in answer.claims:
            for evidence in claim.evidence:
                if evidence.quote not in data["article"]:
                    raise ValueError(f"{path.name}: quote not in its article: {evidence.quote!r}")
        examples.append(Example(data["article"].strip(), answer.model_dump_json(exclude_none=True)))
    return tuple(examples)


def content_hash(templates: list[str], schema: type[BaseModel], with_examples: bool) -> str:
    digest = hashlib.sha256()
    for name in templates:
        digest.update((prompt_dir() / name).read_bytes())
    if with_examples:
        for example in load_examples():
            digest.update(example.article.encode() + example.answer.encode())
    digest.update(json.dumps(schema.model_json_schema(), sort_keys=True).encode())
    return digest.hexdigest()[:12]


EXTRACT_TEMPLATES = ["extract/system.j2", "extract/user.j2", "extract/user_excerpts.j2", "extract/reask_ungrounded.j2"]


def extraction_prompt_hash() -> str:
    return content_hash(EXTRACT_TEMPLATES, ArticleExtraction, with_examples=True)


@lru_cache(maxsize=2)
def _extraction_system(environment: jinja2.Environment) -> str:
    """Rendered once per template environment (a new prompt folder gets a new one)."""
    return render("extract/system.j2", examples=load_examples())


def extraction_messages(article: Article, excerpts: str | None = None) -> list[dict[str, str]]:
    """What is the same for every article (the rules, the worked example) comes first
    and is byte-identical across calls, so that servers with prefix caching reuse it;
    the article comes last: whole, or, for a long article, the `excerpts` of one window
    (see windows.py)."""
    user = (
        render("extract/user.j2", article=article)
        if excerpts is None
        else render("extract/user_excerpts.j2", article=article, excerpts=excerpts)
    )
    return [{"role": "system", "content": _extraction_system(_environment())}, {"role": "user", "content": user}]


def ungrounded_reask_message(problems: list[dict]) -> dict[str, str]:
    return {"role": "user", "content": render("extract/reask_ungrounded.j2", problems=problems)}
