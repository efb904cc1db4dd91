"""Entity resolution: every party mention in the database points at one entity.

It works from the names as written, for any war, in this order (each link is recorded
with its reason, so every merge can be inspected):

1. **State forces** by country: a country's name, demonym or capital, alone or with a
   state head ("Ethiopia's army" = "the Ethiopian army" = "Ethiopian National Defense
   Force" = "armed forces of Ethiopia"; `gazetteer.py`), and who leads or speaks for it
   ("Kenya's president", "the Israeli security cabinet"; "Royal Thai Army").
   "Free Syrian Army" and "Syrian Democratic Forces" are not state heads, so they stay
   apart from "the Syrian army".
2. **Acronyms defined in the article** ("Tigray Defense Forces (TDF)", or "ELN (Ejército
   de Liberación Nacional)"), learned per article; an acronym used undefined resolves
   to the one name defined with it elsewhere, or to the one name whose initials it is.
3. **The same core name**: lower-cased, accents, "the", possessives and plurals dropped,
   trailing descriptors ("rebels", "fighters", "movement", "forces") removed
   ("Houthis" = "Houthi rebels" = "the Houthi movement").
4. **Fuzzy matching with guards**: two core names with the same number of words whose
   words match pairwise (rapidfuzz ratio ≥ 85, whole ≥ 90): spelling variants such as
   "Ta'ang"/"Taang"; "Islamic State" and "Islamic Jihad" differ in a word, so they never
   merge.
5. **The model's standard name** for a party, when it gives one (an optional field;
   weak models omit it): "the Tatmadaw" and "junta forces" given as "Myanmar Armed
   Forces" join the state forces of Myanmar by rule 1. A generic standard name says
   nothing, and a mention the analyst split keeps its own entity.
6. **Inside one article**, a generic back-reference ("the army", "the militia", "the
   paramilitary group") resolves to the one specific party of that kind the article's
   claims name, and a shortened name ("Tigrayan forces") to the one longer name that
   contains it. Otherwise it stays an entity of that article alone.
7. `parties.toml` is prior knowledge: names it lists as aliases are linked, but no rule
   above depends on it.
8. **The analyst's decisions** (`truce entities merge A B`, `truce entities split NAME`)
   are stored in `entity_decisions` and applied last, so they survive re-extraction.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlite_utils import Database

from extractor.entities.canonical import listed_alias, party_root
from extractor.entities.gazetteer import fold, state_of, states_named_in
from extractor.entities.names import (
    CONNECTORS,
    DESCRIPTORS,
    ORGANISATION_WORDS,
    PARENTHESIS,
    QUALIFIED,
    acronym_key,
    acronym_with_descriptors,
    core,
    defined_acronyms,
    generic_kind,
    initials,
    is_acronym,
    stated_aliases,
    stated_members,
    words_of,
)
from extractor.errors import NotFoundError
from extractor.storage import store

FUZZY_WORD = 85.0
FUZZY_NAME = 90.0


@dataclass
class Mention:
    rowid: int
    article_id: str
    name: str
    role: str
    standard_name: str | None = None


@dataclass
class Entity:
    id: str
    name: str
    kind: str
    aliases: list[str]
    mentions: int
    side: str
    evidence: list[str] = field(default_factory=list)


class _Links:
    """Union-find over string keys, keeping the reason of every link."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.reasons: list[tuple[str, str, str]] = []
        self.states: set[str] = set()  # roots whose group holds a state key

    def add(self, key: str) -> None:
        if key not in self.parent:
            self.parent[key] = key
            if key.startswith("state:"):
                self.states.add(key)

    def find(self, key: str) -> str:
        self.add(key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def link(self, a: str, b: str, reason: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            root, child = min(ra, rb), max(ra, rb)
            self.parent[child] = root
            if child in self.states or root in self.states:
                self.states.discard(child)
                self.states.add(root)
            self.reasons.append((a, b, reason))

    def is_state(self, key: str) -> bool:
        return self.find(key) in self.states


# --- names ------------------------------------------------------------------------------


# --- resolution ----------------------------------------------------------------------


def _kind_of(names: list[str], state: bool) -> str:
    if state:
        return "state"
    words = {w for name in names for w in words_of(name)}
    if words & ORGANISATION_WORDS:
        return "organisation"
    if words & (DESCRIPTORS | {"army", "front", "brigade", "brigades", "alliance", "militia", "rebels"}):
        return "armed group"
    return "unknown"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "entity"


def load_mentions(db: Database) -> list[Mention]:
    rows = db.execute(
        "SELECT p.rowid, c.article_id, p.name, p.role, p.standard_name "
        "FROM parties p JOIN claims c ON c.id = p.claim_id"
    )
    return [Mention(*row) for row in rows]


def load_decisions(db: Database) -> list[dict]:
    return list(db.query("SELECT action, name, other FROM entity_decisions ORDER BY id"))


def resolve(
    mentions: list[Mention], article_texts: dict[str, str], decisions: list[dict] | None = None
) -> tuple[dict[int, str], list[Entity]]:
    """Entity id for every mention (by party rowid), and the entities."""
    decisions = decisions or []
    split = {fold(d["name"]) for d in decisions if d["action"] == "split"}
    links = _Links()
    key_of: dict[int, str] = {}
    by_article: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        by_article[mention.article_id].append(mention)

    # Acronyms defined anywhere, and where; a mention may carry its own definition.
    local_acronyms: dict[str, dict[str, str]] = {}
    global_acronyms: dict[str, set[str]] = defaultdict(set)
    for article_id in by_article:
        defined = defined_acronyms(article_texts.get(article_id, ""))
        for mention in by_article[article_id]:
            inner = PARENTHESIS.search(mention.name)
            if inner and is_acronym(inner.group(1)):  # the name as the claim gives it wins
                defined[acronym_key(inner.group(1))] = PARENTHESIS.sub("", mention.name)
        local_acronyms[article_id] = defined
        for acronym, full in defined.items():
            global_acronyms[acronym].add(full)

    def base_key(name: str) -> tuple[str, str | None]:
        """The key of a specific name, and the reason when it is a state force."""
        name = PARENTHESIS.sub("", name) or name
        country = state_of(name)
        if country:
            return f"state:{country}", f"{name!r} names the state of {country}"
        return f"name:{core(name)}", None

    state_reasons: dict[str, str] = {}

    memo: dict[tuple[str, str | None], str] = {}

    def name_key(name: str, article_id: str) -> str:
        """The key of a specific (not generic) name, linked to what the article defines
        (worked out once per name, and per article for acronyms)."""
        local = article_id if local_acronyms.get(article_id) else None
        if (name, local) not in memo:
            memo[(name, local)] = _name_key(name, article_id)
        return memo[(name, local)]

    def _name_key(name: str, article_id: str) -> str:
        unqualified = QUALIFIED.sub("", name)
        if unqualified != name and any(w[:1].isupper() for w in unqualified.split()):
            name = unqualified  # "Rwanda-backed M23" names M23; "Iran-backed groups" stays whole
        acronym = acronym_with_descriptors(name) or (acronym_key(name) if is_acronym(name) else None)
        if acronym:
            key = f"acronym:{acronym}"
            links.find(key)
            full = local_acronyms.get(article_id, {}).get(acronym)
            if full:
                target, why = base_key(full)
                links.link(key, target, why or f"{acronym} is defined as {full!r} in article {article_id}")
        else:
            key, why = base_key(name)
            if why:
                state_reasons.setdefault(key, why)
            links.find(key)
        canonical = listed_alias(name)
        if canonical is not None:
            links.link(key, f"table:{canonical}", f"{name!r} is listed in parties.toml as {canonical!r}")
        return key

    generic: list[tuple[Mention, str]] = []
    for mention in mentions:
        folded = fold(mention.name)
        if folded in split:
            key_of[mention.rowid] = f"split:{folded}"
            links.find(key_of[mention.rowid])
            continue
        kind = generic_kind(mention.name)
        if kind:
            generic.append((mention, kind))
            key_of[mention.rowid] = f"generic:{mention.article_id}:{folded}"
            links.find(key_of[mention.rowid])
            continue
        key_of[mention.rowid] = name_key(mention.name, mention.article_id)

    # The model's standard name for a mention ("Myanmar Armed Forces" for "the Tatmadaw"):
    # a link when it is itself specific; a generic one ("the army") says nothing.
    named_by_model: set[int] = set()
    for mention in mentions:
        standard = (mention.standard_name or "").strip()
        if not standard or key_of[mention.rowid].startswith("split:") or generic_kind(standard):
            continue
        if fold(standard) in split or fold(standard) == fold(mention.name):
            continue
        links.link(
            key_of[mention.rowid],
            name_key(standard, mention.article_id),
            f"the model gives {standard!r} as the standard name of {mention.name!r}",
        )
        named_by_model.add(mention.rowid)

    # Other names an article says a party goes by: "X, better known as Y".
    for article_id in by_article:
        for first, second in stated_aliases(article_texts.get(article_id, "")):
            if generic_kind(first) or generic_kind(second) or fold(first) in split or fold(second) in split:
                continue
            links.link(
                name_key(first, article_id),
                name_key(second, article_id),
                f"article {article_id} says {first!r} is also known as {second!r}",
            )

    # Members of a group an article names ("the Alliance, which groups A, B and C"): each
    # stays its own entity, and the cross-check counts it on the group's side.
    memberships: list[tuple[str, str, str]] = []
    for article_id in by_article:
        for member, group in stated_members(article_texts.get(article_id, "")):
            if not (generic_kind(member) or generic_kind(group)):
                reason = f"article {article_id} names {member!r} as a member of {group!r}"
                memberships.append((name_key(member, article_id), name_key(group, article_id), reason))

    # Acronyms used undefined: the one full name defined with them, or whose initials they are.
    names = {k[5:] for k in links.parent if k.startswith("name:")}
    by_initials: dict[str, set[str]] = defaultdict(set)
    for name in names:
        if len(name.split()) >= 2:
            by_initials[initials(name)].add(name)
    for key in [k for k in links.parent if k.startswith("acronym:")]:
        acronym = key[8:]
        targets = {base_key(full)[0] for full in global_acronyms.get(acronym, ())}
        if len(targets) == 1:
            links.link(key, targets.pop(), f"{acronym} is defined as {sorted(global_acronyms[acronym])[0]!r}")
        elif not targets and len(by_initials.get(acronym.replace("-", "").upper(), ())) == 1:
            (full,) = by_initials[acronym.replace("-", "").upper()]
            links.link(key, f"name:{full}", f"{acronym} are the initials of {full!r}")

    _fuzzy_links(sorted(names), links)
    unresolved = [(m, kind) for m, kind in generic if m.rowid not in named_by_model]
    _article_links(article_texts, by_article, unresolved, key_of, links, split)

    for decision in decisions:
        if decision["action"] == "merge":
            a, b = fold(decision["name"]), fold(decision["other"])
            key_a = next((key_of[m.rowid] for m in mentions if fold(m.name) == a), None)
            key_b = next((key_of[m.rowid] for m in mentions if fold(m.name) == b), None)
            if key_a and key_b:
                links.link(key_a, key_b, f"merged by the analyst: {decision['name']!r} = {decision['other']!r}")
    return _entities(mentions, key_of, links, state_reasons, memberships)


def _fuzzy_links(names: list[str], links: _Links) -> None:
    """Spelling variants: same number of words, each word alike, the whole alike."""
    blocks: dict[tuple[int, str], list[str]] = defaultdict(list)
    for name in names:
        words = name.split()
        if words:
            blocks[(len(words), words[0][:1])].append(name)
    for members in blocks.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if fuzz.ratio(a, b) < FUZZY_NAME:
                    continue
                if all(fuzz.ratio(x, y) >= FUZZY_WORD for x, y in zip(a.split(), b.split(), strict=True)):
                    links.link(f"name:{a}", f"name:{b}", f"{a!r} and {b!r} are spelling variants")


def _article_links(
    texts: dict[str, str],
    by_article: dict[str, list[Mention]],
    generic: list[tuple[Mention, str]],
    key_of: dict[int, str],
    links: _Links,
    split: set[str],
) -> None:
    """Back-references inside one article: generic words and shortened names."""
    generic_by_article: dict[str, list[tuple[Mention, str]]] = defaultdict(list)
    for mention, kind in generic:
        generic_by_article[mention.article_id].append((mention, kind))
    for article_id, members in by_article.items():
        specific = [m for m in members if not key_of[m.rowid].startswith(("generic:", "split:"))]
        # A shortened name inside one longer name of the same article: 'Tigrayan forces'.
        cores = {core(m.name): m for m in specific if not key_of[m.rowid].startswith(("state:", "acronym:"))}
        named = set(cores) | {core(n) for pair in stated_aliases(texts.get(article_id, "")) for n in pair}
        for short, mention in cores.items():
            if len(short.split()) != 1:
                continue  # "Sudan Liberation Army" is a name of its own, not a short "Sudan People's ..."
            stems = {w[:5] for w in short.split() if w not in CONNECTORS}
            longer = [c for c in named if c != short and stems and stems <= {w[:5] for w in c.split()}]
            longer = [c for c in longer if links.find(f"name:{c}") != links.find(key_of[mention.rowid])]
            if len(longer) == 1 and len(short.split()) < len(longer[0].split()):
                links.link(key_of[mention.rowid], f"name:{longer[0]}", f"{mention.name!r} shortens {longer[0]!r}")
        for mention, kind in generic_by_article.get(article_id, []):
            # The sides of the article's truce claims (not mediators, not callers).
            candidates: dict[str, str] = {}  # root -> a name it has in this article
            for m in specific:
                root = links.find(key_of[m.rowid])
                is_state = links.is_state(root)
                side = m.role in ("party", "recipient") and _kind_of([m.name], is_state) != "organisation"
                if side and (kind == "state") == is_state:
                    candidates.setdefault(root, m.name)
            if kind == "state" and not candidates:
                for country in states_named_in(texts.get(article_id, "")):
                    candidates.setdefault(links.find(f"state:{country}"), f"the state forces of {country}")
            if kind == "state" and not candidates and "army" in fold(mention.name).split():
                for m in specific:  # "the army" of an article about a non-state "... Army"
                    root = links.find(key_of[m.rowid])
                    if "army" in fold(m.name).split() and not links.is_state(root):
                        candidates.setdefault(root, m.name)
            if len(candidates) == 1:
                ((root, target),) = candidates.items()
                links.link(key_of[mention.rowid], root, f"{mention.name!r} refers back to {target!r} in its article")


def _entities(
    mentions: list[Mention],
    key_of: dict[int, str],
    links: _Links,
    state_reasons: dict[str, str],
    memberships: list[tuple[str, str, str]],
) -> tuple[dict[int, str], list[Entity]]:
    groups: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        groups[links.find(key_of[mention.rowid])].append(mention)
    keys_of_root: dict[str, list[str]] = defaultdict(list)
    for key in links.parent:
        keys_of_root[links.find(key)].append(key)
    reasons: dict[str, set[str]] = defaultdict(set)
    for a, _, reason in links.reasons:
        reasons[links.find(a)].add(reason)
    for key, reason in state_reasons.items():
        reasons[links.find(key)].add(reason)
    groups_of: dict[str, set[str]] = defaultdict(set)
    for member, group, reason in memberships:
        if links.find(member) != links.find(group):
            groups_of[links.find(member)].add(links.find(group))
            reasons[links.find(member)].add(reason)
    entity_of: dict[int, str] = {}
    id_of_root: dict[str, str] = {}
    entities: list[Entity] = []
    used: Counter = Counter()
    for root, members in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        counts = Counter(m.name for m in members)
        keys = keys_of_root[root]
        state = next((k[6:] for k in sorted(keys) if k.startswith("state:")), None)
        specific = [n for n in counts if not generic_kind(n) and not is_acronym(n)] or list(counts)
        name = state or PARENTHESIS.sub("", max(specific, key=lambda n: (counts[n], len(n))))
        slug = _slug(name)
        used[slug] += 1
        entity_id = slug if used[slug] == 1 else f"{slug}-{used[slug]}"
        listed = next((k[6:] for k in sorted(keys) if k.startswith("table:")), None)
        entities.append(
            Entity(
                id=entity_id,
                name=name,
                kind=_kind_of(list(counts), state is not None),
                aliases=sorted(counts, key=lambda n: (-counts[n], n)),
                mentions=len(members),
                side=party_root(listed) if listed else entity_id,
                evidence=sorted(reasons.get(root, ())),
            )
        )
        for mention in members:
            entity_of[mention.rowid] = entity_id
        id_of_root[root] = entity_id
    # A member of exactly one named group is on that group's side.
    by_id = {e.id: e for e in entities}
    for root, group_roots in groups_of.items():
        if len(group_roots) == 1 and root in id_of_root and next(iter(group_roots)) in id_of_root:
            by_id[id_of_root[root]].side = by_id[id_of_root[next(iter(group_roots))]].side
    return entity_of, entities


# --- the database ----------------------------------------------------------------------------


def resolve_entities(db: Database) -> list[Entity]:
    """Resolve every party mention in the database and store the entities."""
    mentions = load_mentions(db)
    articles = {row[0] for row in db.execute("SELECT DISTINCT article_id FROM claims")}
    texts = {aid: text for aid, text in db.execute("SELECT id, text FROM articles") if aid in articles}
    entity_of, entities = resolve(mentions, texts, load_decisions(db))
    with store.transaction(db):
        db.execute("DELETE FROM entities")
        db["entities"].insert_all(
            {
                "id": e.id,
                "name": e.name,
                "kind": e.kind,
                "aliases": json.dumps(e.aliases, ensure_ascii=False),
                "mentions": e.mentions,
                "side": e.side,
                "evidence": json.dumps(e.evidence, ensure_ascii=False),
            }
            for e in entities
        )
        db.conn.executemany(
            "UPDATE parties SET entity_id = ? WHERE rowid = ?", [(eid, rowid) for rowid, eid in entity_of.items()]
        )
    return entities


def name_for(db: Database, name_or_id: str) -> str:
    """A party name as written for an entity id or a name; one clear sentence if neither."""
    row = db.execute("SELECT aliases FROM entities WHERE id = ?", [name_or_id]).fetchone()
    if row:
        return json.loads(row[0])[0]
    wanted = fold(name_or_id)
    for (name,) in db.execute("SELECT DISTINCT name FROM parties"):
        if fold(name) == wanted:
            return name
    raise NotFoundError(f"No entity or party is named {name_or_id!r}; `truce entities` lists them.")


def merge(db: Database, first: str, second: str) -> None:
    """The analyst says two entities (ids or names) are one; kept across re-resolution."""
    a, b = name_for(db, first), name_for(db, second)
    db["entity_decisions"].insert({"action": "merge", "name": a, "other": b, "created_at": store.now()})


def split(db: Database, name: str) -> None:
    """The analyst says a name as written is its own entity; automatic links skip it."""
    db["entity_decisions"].insert({"action": "split", "name": name_for(db, name), "created_at": store.now()})


def query_entities(db: Database) -> list[dict]:
    return [
        {**row, "aliases": json.loads(row["aliases"]), "evidence": json.loads(row["evidence"] or "[]")}
        for row in db.query(
            "SELECT id, name, kind, mentions, aliases, side, evidence FROM entities ORDER BY mentions DESC, id"
        )
    ]
