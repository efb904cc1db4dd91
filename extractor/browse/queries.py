"""The canned queries `truce serve` offers in Datasette: the questions analysts ask most,
as SQL over the schema in extractor/storage/migrations.py."""

from __future__ import annotations

# The outlets a claim came through, publisher first: its chain without the speaker.
# (SQLite before 3.44 has no ORDER BY inside group_concat; an ordered subquery keeps the order.)
_OUTLETS = """(SELECT group_concat(name, ' → ') FROM (
            SELECT name FROM attributions
            WHERE claim_id = {claim} AND role IN ('publisher', 'relay') AND name IS NOT NULL
            ORDER BY position))"""

_PARTIES = """(SELECT group_concat(name || ' (' || role || ')', '; ') FROM (
            SELECT name, role FROM parties WHERE claim_id = {claim} ORDER BY position))"""

CONFLICTS_SQL = f"""
SELECT f.id AS conflict, f.type, f.severity, f.reason, f.method AS found_by,
       f.claim_a, a.kind AS claim_a_kind, a.summary AS claim_a_summary, a.speaker AS claim_a_speaker,
       {_OUTLETS.format(claim="f.claim_a")} AS claim_a_outlets,
       f.claim_b, b.kind AS claim_b_kind, b.summary AS claim_b_summary, b.speaker AS claim_b_speaker,
       {_OUTLETS.format(claim="f.claim_b")} AS claim_b_outlets
FROM conflicts f
JOIN claims a ON a.id = f.claim_a
JOIN claims b ON b.id = f.claim_b
ORDER BY f.type, f.claim_a, f.claim_b
"""

# :party is matched, case aside, against entity names, ids and aliases (so every name of
# an entity finds all its claims), and against each party's name as written, canonical
# name and standard name (which also covers databases not yet cross-checked).
CLAIMS_BY_PARTY_SQL = f"""
WITH matching AS (
    SELECT p.claim_id, p.position, p.name, p.role
    FROM parties p
    WHERE p.entity_id IN (
            SELECT e.id FROM entities e
            WHERE e.id = :party COLLATE NOCASE OR e.name = :party COLLATE NOCASE
               OR EXISTS (SELECT 1 FROM json_each(e.aliases) WHERE value = :party COLLATE NOCASE))
       OR p.name = :party COLLATE NOCASE
       OR p.canonical = :party COLLATE NOCASE
       OR p.standard_name = :party COLLATE NOCASE
)
SELECT c.id AS claim, c.kind, c.factuality,
       (SELECT group_concat(name || ' (' || role || ')', '; ') FROM (
            SELECT name, role FROM matching m WHERE m.claim_id = c.id ORDER BY position)) AS named_as,
       {_PARTIES.format(claim="c.id")} AS parties,
       c.summary, c.speaker, {_OUTLETS.format(claim="c.id")} AS outlets,
       c.event_date, c.grounding, c.article_id
FROM claims c
WHERE c.id IN (SELECT claim_id FROM matching)
ORDER BY c.event_date IS NULL, c.event_date, c.article_id, c.id
"""

ATTRIBUTION_CHAIN_SQL = """
SELECT t.position, t.role, t.name, t.title, t.affiliation, t.anonymous, t.description, t.channel,
       t.named_in_text, c.summary AS claim_summary
FROM attributions t
JOIN claims c ON c.id = t.claim_id
WHERE t.claim_id = :claim_id
ORDER BY t.position
"""

CANNED_QUERIES: dict[str, dict[str, object]] = {
    "conflicts_with_claims": {
        "title": "Conflicts, with both claims",
        "description": "Every pair of claims that cannot all be true: the type, the reason, how it was found, and "
        "for each claim its summary, its speaker and the outlets it came through (publisher first).",
        "sql": CONFLICTS_SQL.strip(),
    },
    "claims_by_party": {
        "title": "Claims by party",
        "description": "Every claim naming a party, by any of its names: an entity's name or alias (ISIS finds "
        "Islamic State and Daesh when they resolve to one entity), a name as written, or a canonical name.",
        "sql": CLAIMS_BY_PARTY_SQL.strip(),
        "params": ["party"],
    },
    "attribution_chain": {
        "title": "Attribution chain of a claim",
        "description": "Who said the claim and through whom it was heard, from the outside in: the publisher, "
        "the outlets it relays, the speaker. claim_id is a claim's full id (<article id>-<n>), as the claims "
        "table shows it.",
        "sql": ATTRIBUTION_CHAIN_SQL.strip(),
        "params": ["claim_id"],
    },
}
