"""Party names as written, read for entity resolution: generic back-references,
acronyms and the full names an article defines for them, names it says a party also
goes by, and the core of a name that spelling variants share. Pure functions of text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from extractor.entities.gazetteer import fold

CONNECTORS = frozenset({"of", "the", "and", "for", "de", "la", "del", "des", "du", "al", "el", "y", "et", "in"})
DESCRIPTORS = frozenset(
    {"rebels", "rebel", "fighters", "militants", "militia", "militias", "movement", "group", "forces", "force"}
)
STATE_GENERICS = frozenset(
    {
        "army",
        "military",
        "armed forces",
        "troops",
        "soldiers",
        "government",
        "government forces",
        "government troops",
        "federal troops",
        "federal forces",
        "federal government",
        "junta",
        "junta forces",
        "military junta",
        "regime",
        "regime forces",
        "security forces",
        "authorities",
        "state forces",
        "national army",
    }
)
GROUP_GENERICS = frozenset(
    {
        "militia",
        "militias",
        "rebels",
        "rebel forces",
        "rebel fighters",
        "rebel group",
        "insurgents",
        "paramilitary",
        "paramilitaries",
        "paramilitary group",
        "paramilitary forces",
        "group",
        "armed group",
        "movement",
        "fighters",
        "militants",
        "alliance",
        "guerrillas",
        "guerrilla",
        "guerrilla group",
    }
)
ORGANISATION_WORDS = frozenset(
    {"union", "nations", "council", "committee", "church", "commission", "community", "mission", "envoy", "mediators"}
)
_ACRONYM_AFTER = re.compile(
    r"((?:[A-Z0-9][\w'\u2019.\-]*\s+(?:(?:of|the|and|for|de|la|del|des|du|al|el|y|et)\s+)*){0,8}"
    r"[A-Z0-9][\w'\u2019\-]*)\s+\(([A-Z][A-Za-z0-9\-]{1,9})\)"
)
_ACRONYM_BEFORE = re.compile(
    r"\b([A-Z][A-Z0-9\-]{1,9})\s+\(((?:[A-Z][\w'\u2019\-]*\s*(?:(?:de|of|the|la|del|y)\s+)*){2,8})\)"
)
QUALIFIED = re.compile(r"^(?:the\s+)?\S+-(?:backed|led|aligned|allied|based|linked|affiliated)\s+", re.I)
_QUALIFIER = re.compile(r"-(backed|led|aligned|allied|based|linked|affiliated)$", re.I)
PARENTHESIS = re.compile(r"\s*\(([^)]*)\)\s*$")


@lru_cache(maxsize=65536)
def words_of(name: str) -> tuple[str, ...]:
    return tuple(w for w in fold(name).replace("-", " ").split(" ") if w)


@lru_cache(maxsize=65536)
def core(name: str) -> str:
    """The name reduced for comparison: folded, no 'the', no trailing descriptors,
    singular words."""
    words = [w for w in words_of(name) if w != "the"]
    while len(words) > 1 and words[-1] in DESCRIPTORS:
        words.pop()
    return " ".join(w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w for w in words)


@lru_cache(maxsize=65536)
def initials(name: str) -> str:
    return "".join(w[0] for w in words_of(name) if w not in CONNECTORS).upper()


STATE_WORDS = frozenset({"army", "military", "troops", "soldiers", "government", "junta", "regime", "police"})
GROUP_WORDS = frozenset(
    {"rebels", "rebel", "militia", "militias", "fighters", "insurgents", "guerrillas", "militants", "paramilitary"}
)


@lru_cache(maxsize=65536)
def generic_kind(name: str) -> str | None:
    """'state' or 'group' when the name is only a generic back-reference: a generic
    phrase ('the army', 'the paramilitary group'), or lower-case words around a generic
    word ('an army patrol', 'government troops')."""
    words = [w for w in words_of(name) if w not in ("the", "a", "an")]
    joined = " ".join(words)
    if joined in STATE_GENERICS:
        return "state"
    if joined in GROUP_GENERICS:
        return "group"
    written = name.split()[1:] if name[:1].isupper() and name.split()[0].lower() in ("the", "a", "an") else name.split()
    if written and all(w[:1].islower() for w in written):
        if set(words) & GROUP_WORDS:
            return "group"
        if set(words) & STATE_WORDS:
            return "state"
    return None


@lru_cache(maxsize=65536)
def is_acronym(name: str) -> bool:
    """'TPLF', 'U.S.', 'M23', 'FAMa' (at most one lower-case letter)."""
    text = re.sub(r"^the\s+", "", name.strip(), flags=re.I).replace(".", "")
    if not re.fullmatch(r"[A-Z][A-Za-z0-9\-]{1,9}", text):
        return False
    upper, lower = sum(c.isupper() for c in text), sum(c.islower() for c in text)
    return lower <= 1 and upper >= max(2, lower + 1) or (lower == 0 and upper >= 1 and any(c.isdigit() for c in text))


@lru_cache(maxsize=65536)
def acronym_with_descriptors(name: str) -> str | None:
    """'GNA forces', 'NPA guerrillas', 'the TPLF leadership': one acronym and only
    lower-case words around it name what the acronym names."""
    words = PARENTHESIS.sub("", name).split()
    if words and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    capitals = [w for w in words if is_acronym(w.rstrip("'s\u2019"))]
    others = [w for w in words if w not in capitals]
    if len(capitals) == 1 and others and all(w[:1].islower() for w in others):
        return acronym_key(capitals[0].rstrip("'s\u2019"))
    return None


@lru_cache(maxsize=65536)
def acronym_key(name: str) -> str:
    return re.sub(r"^the\s+", "", name.strip(), flags=re.I).replace(".", "")


_NAME = (
    r"(?:the\s+)?((?:[A-Z][\w'\u2019\-]*\s+(?:(?:of|the|and|for|de|la|del|al)\s+)*){0,6}"
    r"[A-Z][\w'\u2019\-]*(?:\s+[a-z]+)?)"
)
_ALIAS_PATTERNS = [
    re.compile(_NAME + r",\s+(?:also|better|widely|commonly|locally|formally)\s+known\s+as\s+" + _NAME),
    re.compile(_NAME + r",\s+who\s+calls?\s+(?:themselves|itself)\s+" + _NAME),
    re.compile(_NAME + r"\s+\((?:also\s+)?known\s+as\s+" + _NAME + r"\)"),
    # "Khalifa Haftar, the commander of the self-styled Libyan National Army": a leader
    # stands for the force he leads ("Haftar's forces").
    re.compile(
        _NAME + r",\s+(?:the\s+)?(?:commander|leader|head|chief|founder)\s+of\s+(?:the\s+)?(?:self-styled\s+)?" + _NAME
    ),
]


def stated_aliases(text: str) -> list[tuple[str, str]]:
    """Pairs of names an article states are one party: 'the Ansar Allah movement, better
    known as the Houthis'; 'the TPLF's fighters, who call themselves the Tigray Defense
    Forces'."""
    pairs = []
    for pattern in _ALIAS_PATTERNS:
        for match in pattern.finditer(text):
            # "Yesterday the Ansar Allah movement": the name starts after the last "the".
            first, second = (re.split(r"\bthe\s+", PARENTHESIS.sub("", m))[-1].strip() for m in match.groups())
            if first and second and fold(first) != fold(second):
                pairs.append((first, second))
    return pairs


def defined_acronyms(text: str) -> dict[str, str]:
    """Acronyms an article defines: 'Rapid Support Forces (RSF)', 'ELN (Ejército de
    Liberación Nacional)'. The full name is trimmed to the words whose initials spell
    the acronym when there are such words; otherwise the last run of capitalised words."""
    found: dict[str, str] = {}
    for match in _ACRONYM_AFTER.finditer(text):
        words, acronym = match.group(1).split(), match.group(2)
        full = None
        for start in range(len(words) - 1, -1, -1):
            if words[start].lower() in CONNECTORS:
                continue
            if initials(" ".join(words[start:])) == acronym.replace("-", "").upper():
                full = " ".join(words[start:])
                break
        if full is None:
            run: list[str] = []
            for word in reversed(words):
                if not word[0].isupper() and not word[0].isdigit() or _QUALIFIER.search(word):
                    break  # "Rwanda-backed" qualifies the name, it is not part of it
                run.insert(0, word)
            full = " ".join(run) if len(run) >= 2 else None
        if full:
            found.setdefault(acronym, full)
    for match in _ACRONYM_BEFORE.finditer(text):
        found.setdefault(match.group(1), match.group(2).strip())
    return found


_ONE = r"(?:the\s+)?([A-Z][\w'\u2019\-]*(?:\s+(?:of\s+|the\s+)*[A-Z0-9][\w'\u2019\-]*){0,7})(?:\s+\([^)]*\))?"
_LIST = _ONE + r"(?:\s*,\s*" + _ONE + r")*(?:,?\s+and\s+" + _ONE + r")?"
_MEMBER_PATTERNS = [
    # "the Three Brotherhood Alliance, which groups the TNLA, the MNDAA and the AA"
    re.compile(
        _ONE + r",\s+(?:which\s+(?:groups|includes|brings\s+together)|made\s+up\s+of|comprising|composed\s+of"
        r"|an\s+alliance\s+of|a\s+coalition\s+of)\s+(" + _LIST + ")"
    ),
    # "The groups, known together as the Three Brotherhood Alliance, are the MNDAA, the TNLA and the AA"
    re.compile(r"known\s+together\s+as\s+" + _ONE + r",\s+are\s+(" + _LIST + ")"),
]
_MEMBER_OF = re.compile(
    _ONE
    + r"\s+is\s+(?:one\s+of\s+the\s+(?:\w+\s+)?members|a\s+member)\s+of\s+"
    + _ONE
    + r"(?:,\s+alongside\s+("
    + _LIST
    + "))?"
)
_LIST_ITEM = re.compile(_ONE)


def _items(listed: str) -> list[str]:
    return [m.group(1) for m in _LIST_ITEM.finditer(listed)]


def stated_members(text: str) -> list[tuple[str, str]]:
    """(member, group) pairs an article states: 'the Three Brotherhood Alliance, which
    groups the TNLA, the MNDAA and the AA'; 'The TNLA is one of the three members of the
    Three Brotherhood Alliance, alongside the MNDAA and the AA'."""
    pairs = []
    for pattern in _MEMBER_PATTERNS:
        for match in pattern.finditer(text):
            group = match.group(1)
            pairs += [(member, group) for member in _items(match.group(match.lastindex or 2))]
    for match in _MEMBER_OF.finditer(text):
        group = match.group(2)
        pairs.append((match.group(1), group))
        if match.lastindex and match.lastindex >= 3 and match.group(3):
            pairs += [(member, group) for member in _items(match.group(3))]

    def bare(name: str) -> str:
        return re.sub(r"^the\s+", "", name.strip(), flags=re.I)

    return [(bare(m), bare(g)) for m, g in pairs if m.strip() and fold(m) != fold(g)]
