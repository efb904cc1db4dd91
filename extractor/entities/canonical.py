"""Canonical party names: ISIS = IS = ISIL = Islamic State = Daesh, and so on.

The table lives in `parties.toml` beside this module so analysts can extend it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class PartyEntry:
    canonical: str
    groups: tuple[str, ...]


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """Lower-case, drop dots, apostrophe variants and a leading 'the'."""
    text = name.replace("\u2019", "'").replace(".", "").lower()
    text = re.sub(r"[^\w'\- ]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^the ", "", text)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, PartyEntry], list[tuple[str, re.Pattern[str]]]]:
    raw = tomllib.loads(resources.files("extractor.entities").joinpath("parties.toml").read_text("utf-8"))
    by_alias: dict[str, PartyEntry] = {}
    exact_only: set[str] = set()
    for canonical, spec in raw.items():
        entry = PartyEntry(canonical, tuple(spec.get("groups", [])))
        for alias in [canonical, *spec.get("aliases", [])]:
            by_alias[normalise_name(alias)] = entry
        exact_only.update(normalise_name(alias) for alias in spec.get("exact", []))
    # Longest alias first, so "US-led coalition" wins over "US" inside a longer name.
    patterns = [
        (alias, re.compile(rf"(?<![\w-]){re.escape(alias)}(?![\w-])"))
        for alias in sorted(by_alias, key=len, reverse=True)
        if alias not in exact_only
    ]
    return by_alias, patterns


def lookup(name: str) -> PartyEntry | None:
    """The table entry for a name, matching whole names first, then a contained alias."""
    by_alias, patterns = _table()
    key = normalise_name(name)
    if key in by_alias:
        return by_alias[key]
    for alias, pattern in patterns:
        if pattern.search(key):
            return by_alias[alias]
    return None


@lru_cache(maxsize=65536)
def listed_alias(name: str) -> str | None:
    """The canonical name when the whole name is one of the table's aliases."""
    entry = _table()[0].get(normalise_name(name))
    return entry.canonical if entry else None


def canonical_name(name: str) -> str:
    """The canonical name, or the name as written (tidied) when it is not in the table."""
    entry = lookup(name)
    return entry.canonical if entry else re.sub(r"\s+", " ", name).strip()


def party_keys(name: str) -> set[str]:
    """Keys a party matches on for the cross-check: itself and the groups it belongs to."""
    entry = lookup(name)
    if entry is None:
        return {normalise_name(name)}
    keys = {entry.canonical}
    pending = list(entry.groups)
    by_alias, _ = _table()
    while pending:
        group = pending.pop()
        if group in keys:
            continue
        keys.add(group)
        parent = by_alias.get(normalise_name(group))
        if parent:
            pending.extend(parent.groups)
    return keys


@lru_cache(maxsize=65536)
def party_root(name: str) -> str:
    """The widest group a party belongs to ("Kataib Hezbollah" -> "Iran-backed militias"):
    the cross-check treats parties with the same root as the same side."""
    entry = lookup(name)
    if entry is None:
        return normalise_name(name)
    by_alias, _ = _table()
    seen = {entry.canonical}
    while entry.groups:
        parent = by_alias.get(normalise_name(entry.groups[0]))
        if parent is None or parent.canonical in seen:
            return entry.groups[0] if parent is None else entry.canonical
        seen.add(parent.canonical)
        entry = parent
    return entry.canonical
