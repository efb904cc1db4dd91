"""Countries, their demonyms and capitals, for telling a state's forces by their name.

"Ethiopia's army", "the Ethiopian army", "Ethiopian National Defense Force" and "the
armed forces of Ethiopia" all name the state force of one country; "Yerevan's forces"
names Armenia's. The names come from the `countryinfo` package (name, demonym, capital,
other spellings of every country), not from a table written for any war.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import countryinfo

# Who leads or speaks for the state ("acting", "caretaker", "interim" and "transitional"
# are dropped before: "Thailand's acting prime minister"). Not "leader": a "Palestinian
# leader" may be any faction's.
LEADERS = frozenset(
    {
        "president",
        "presidency",
        "prime minister",
        "premier",
        "prime minister office",
        "cabinet",
        "security cabinet",
        "war cabinet",
        "foreign minister",
        "defense minister",
        "defence minister",
        "ministry of foreign affairs",
    }
)
_INTERIM = re.compile(r"\b(?:acting|caretaker|interim|transitional) ")
# What follows a country's name when the words name its state forces or government.
STATE_HEADS = frozenset(
    {
        "army",
        "military",
        "armed forces",
        "forces",
        "troops",
        "soldiers",
        "government",
        "government forces",
        "government troops",
        "authorities",
        "security forces",
        "defense forces",
        "defence forces",
        "defense force",
        "defence force",
        "national defense force",
        "national defence force",
        "national defense forces",
        "national defence forces",
        "air force",
        "junta",
        "regime",
        "defense ministry",
        "defence ministry",
        "ministry of defense",
        "ministry of defence",
        "federal government",
        "federal troops",
        "federal forces",
        "state forces",
        "side",
        "officials",
        "delegation",
        "foreign ministry",
        "navy",
        # Who leads or speaks for the state is the state too: "Thailand's acting prime
        # minister", "the Israeli security cabinet".
        *LEADERS,
    }
)


FORCE_HEADS = STATE_HEADS - LEADERS  # what makes "the army" of an article that state's


def states_named_in(text: str) -> set[str]:
    """Countries whose state forces the text names ("Myanmar's military", "the armed
    forces of Ethiopia"), for resolving "the army" in an article whose claims do not."""
    tokens = without_the(fold(text)).split(" ")
    found = set()
    terms = country_terms()
    for i in range(len(tokens)):
        for size in (1, 2, 3, 4):
            term = " ".join(tokens[i : i + size])
            if term in terms and i >= 2 and tokens[i - 1] == "of" and " ".join(tokens[i - 3 : i - 1]) in FORCE_HEADS:
                found.add(terms[term])  # armed forces of the Philippines
            if term in terms:
                for head_size in (1, 2, 3):
                    head = " ".join(tokens[i + size : i + size + head_size])
                    if head in FORCE_HEADS and head not in ("side", "officials", "delegation", "government"):
                        found.add(terms[term])
    return found


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII letters, digits and spaces: 'Bogotá' -> 'bogota'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("\u2019", "'").replace("'s ", " ").replace("s' ", "s ")
    text = re.sub(r"'s$", "", text).replace("'", "")  # Ta'ang = Taang
    text = re.sub(r"[^a-z0-9 -]+", " ", text.replace(".", ""))
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def country_terms() -> dict[str, str]:
    """Every way of naming a country (name, demonym, capital, other spellings, folded)
    -> the country's name. An ambiguous term ('Congolese') goes to the most populous."""
    found: dict[str, tuple[bool, int, str]] = {}
    infos = [c.info() for c in countryinfo.all_countries()]
    names = {i.get("name") for i in infos}
    for info in infos:
        name = info.get("name")
        if not name:
            continue
        # An entry that lists another entry's name as its own spelling (Burma: 'Myanmar')
        # is that country under an older name.
        name = next((a for a in info.get("altSpellings") or [] if a in names and a != name), name)
        population = int(info.get("population") or 0)
        terms = {name, info["name"]}
        for value in (info.get("demonym"), info.get("capital")):
            for item in value if isinstance(value, list) else [value or ""]:
                terms.add(item)
                terms.add(re.sub(r"\s+[A-Z]\.?[A-Z]?\.?$", "", item))  # Washington D.C. -> Washington
        if name.endswith("s"):
            terms.add(name[:-1])  # Philippines -> Philippine
        iso3 = (info.get("ISO") or {}).get("alpha3")
        for spelling in info.get("altSpellings") or []:
            if (len(spelling) >= 4 and not spelling.isupper()) or (
                spelling.isupper() and len(spelling) >= 3 and spelling != iso3
            ):
                terms.add(spelling)
        for term in terms:
            key = without_the(fold(term))
            if len(key) < 3:
                continue
            rank = (key == without_the(fold(name)), population, name)
            if key not in found or found[key] < rank:
                found[key] = rank
    return {term: name for term, (_, _, name) in found.items()}


def without_the(words: str) -> str:
    return " ".join(w for w in words.split(" ") if w != "the")


@lru_cache(maxsize=65536)
def state_of(name: str) -> str | None:
    """The country whose state (forces or government) these words name, if they do:
    a country term alone, or followed by a state head ('army', 'armed forces' ...), or
    a state head 'of' a country."""
    if re.fullmatch(r"(?:the\s+)?[\w'\u2019-]+\s+Forces", name.strip(), flags=re.I) and "Forces" in name:
        return None  # "Lebanese Forces" (capital F) is a party's name; "Iraqi forces" are the state's
    words = without_the(fold(name))
    words = _INTERIM.sub("", words.removeprefix("royal "))  # "Royal Thai Army", "acting president"
    terms = country_terms()
    if words in terms:
        return terms[words]
    for head in STATE_HEADS:
        if words.startswith(head + " of "):
            rest = words[len(head) + 4 :]
            if rest in terms:
                return terms[rest]
    tokens = words.split(" ")
    for cut in range(min(5, len(tokens) - 1), 0, -1):
        prefix, rest = " ".join(tokens[:cut]), " ".join(tokens[cut:])
        if prefix in terms and rest in STATE_HEADS:
            return terms[prefix]
    return None
