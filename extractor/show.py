"""`truce show`: one claim, its attribution chain, its evidence highlighted in context."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.text import Text

CONTEXT_CHARS = 160


def attribution_chain(claim: dict) -> str:
    parts = []
    for link in claim["attribution"]:
        if link["role"] == "speaker":
            who = link["name"] or link["description"] or ("anonymous source" if link["anonymous"] else "unstated")
            extra = ", ".join(x for x in (link["title"], link["affiliation"]) if x)
            label = f"{who} ({extra})" if extra else who
            if link["anonymous"]:
                label += " [anonymous]"
            if link["channel"]:
                label += f" via {link['channel']}"
        else:
            if not link["name"]:
                continue
            label = f"{link['role']} {link['name']}"
        if not link["named_in_text"]:
            label += " [not named in article]"
        parts.append(label)
    return " → ".join(parts) or "unattributed"


def _in_context(text: str, evidence: dict) -> Text:
    if evidence["start"] is None:
        return Text.assemble(("UNGROUNDED ", "bold red"), (repr(evidence["model_quote"]), "italic"))
    start, end = evidence["start"], evidence["end"]
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    return Text.assemble(
        ("…" if start > CONTEXT_CHARS else ""),
        before.replace("\n", " "),
        (text[start:end], "bold black on yellow"),
        after.replace("\n", " "),
        ("…" if end + CONTEXT_CHARS < len(text) else ""),
        (f"  [{evidence['alignment']} {start}:{end}]", "dim"),
    )


def party_label(party: dict) -> str:
    """'Tatmadaw ("Myanmar Armed Forces") = entity myanmar (party)'."""
    standard = party.get("standard_name")
    named = party["name"] + (f" ({standard!r})" if standard and standard != party["name"] else "")
    return f"{named} = {party.get('entity_id') or party['canonical']} ({party['role']})"


def claim_lines(claim: dict) -> list[str]:
    duration = claim["duration_text"]
    if duration and claim["duration_iso"]:
        duration += f" ({claim['duration_iso']}, {claim['duration_bound']})"
    elif duration and claim["duration_bound"]:
        duration += f" ({claim['duration_bound']})"
    date = claim["event_date"] or "unknown"
    if claim["event_date_text"]:
        date += f" ({claim['event_date_text']!r}, precision {claim['event_date_precision']})"
    began = claim.get("truce_began_text")
    if began:
        began = f"{claim['truce_began_date'] or 'unknown'} ({began!r})"
    rows = [
        ("kind", f"{claim['kind']} ({claim['factuality']})"),
        ("parties", "; ".join(party_label(p) for p in claim["parties"])),
        ("place", f"{claim['place'] or 'unstated'} (scope {claim['scope']})"),
        ("date", date),
        ("truce began", began),
        ("duration", duration),
        ("conditions", "; ".join(claim["conditions"])),
        ("terms", "; ".join(f"{i}. {t}" for i, t in enumerate(claim["terms"], 1))),
        ("attribution", attribution_chain(claim)),
        ("grounding", claim["grounding"]),
        ("flags", "; ".join(claim["flags"])),
        ("extracted by", f"{claim['model']}, prompt {claim['prompt_hash']}"),
    ]
    return [f"{name:>12}: {value}" for name, value in rows if value]


def render_claim(claim: dict, article: dict, conflicts: list[str] | None = None) -> Panel:
    parts: list = [Text(claim["summary"], style="bold"), Text("\n".join(claim_lines(claim)))]
    parts.append(Text("\nEvidence:", style="bold"))
    for evidence in claim["evidence"]:
        parts.append(_in_context(article["text"], evidence))
    if conflicts is not None:
        parts.append(Text("\nConflicts:", style="bold"))
        parts.append(Text("\n".join(conflicts) if conflicts else "none found"))
    title = f"claim {claim['id']} in article {article['id']} ({article['title'] or article['source']})"
    return Panel(Group(*parts), title=title, title_align="left")
