"""An eval run as rich tables: scores first, then every miss and false flag by label."""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from extractor.evals.run import EvalRun


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def render_run(console: Console, run: EvalRun, details: bool = True) -> None:
    s = run.summary()
    head = f"{run.suite.name}: {run.mode}"
    if run.recording:
        head += f" of recording {run.recording}"
    head += f" (model {run.model}" + (f", prompt {run.prompt_hash}" if run.prompt_hash else "") + ")"
    console.print(Text(head, style="bold"))
    console.print(Text(f"{s['articles']} articles, {s['failed_articles']} failed; scored in {run.seconds:.1f} s"))

    claims = Table(title="Claims (matched by evidence-span overlap)", title_justify="left")
    for column in ("kind", "gold", "predicted", "precision", "recall", "F1"):
        claims.add_column(column, justify="left" if column == "kind" else "right")
    c = s["claims"]
    claims.add_row("all", str(c["gold"]), str(c["predicted"]), _f(c["precision"]), _f(c["recall"]), _f(c["f1"]))
    for kind, row in sorted(c["by_kind"].items()):
        claims.add_row(
            kind, str(row["gold"]), str(row["predicted"]), _f(row["precision"]), _f(row["recall"]), _f(row["f1"])
        )
    console.print(claims)

    fields = Table(title="Fields of matched claims", title_justify="left")
    for column in ("field", "correct", "of", "accuracy"):
        fields.add_column(column, justify="left" if column == "field" else "right")
    for name, row in s["fields"].items():
        fields.add_row(name, str(row["correct"]), str(row["total"]), _f(row["accuracy"]))
    console.print(fields)

    g = s["grounding"]
    console.print(
        Text(
            f"Grounding: {g['aligned']} of {g['quotes']} quotes aligned, {g['slicing_back']} slice back to their "
            f"quote; {g['invented_quotes_caught']} quotes not in the article caught; "
            f"{g['ungrounded_claims']} claims not fully grounded."
        )
    )

    conflicts = Table(title="Conflicts (a flag counts when it names a gold pair with its type)", title_justify="left")
    for column in ("type", "gold", "flagged", "correct", "precision", "recall"):
        conflicts.add_column(column, justify="left" if column == "type" else "right")
    k = s["conflicts"]
    conflicts.add_row("all", str(k["gold"]), str(k["flagged"]), str(k["correct"]), _f(k["precision"]), _f(k["recall"]))
    for kind, row in k["by_type"].items():
        conflicts.add_row(
            kind, str(row["gold"]), str(row["flagged"]), str(row["correct"]), _f(row["precision"]), _f(row["recall"])
        )
    console.print(conflicts)
    e = s["entities"]
    console.print(
        Text(
            f"Hard negatives flagged: {k['hard_negatives']['flagged']} of {k['hard_negatives']['total']}. "
            f"Spans that must yield no claim but did: {s['no_claim_spans']['hit']} of {s['no_claim_spans']['total']}. "
            f"Entities: {e['resolved']} of {e['mentions']} party mentions resolved to their gold entity "
            f"({_f(e['share'])}), {len(e['false_merges'])} false merge(s), {len(e['splits'])} split entities."
        )
    )
    if run.threshold_failures:
        console.print(Text("Below threshold: " + "; ".join(run.threshold_failures) + ".", style="red"))
    elif run.thresholds_apply:
        console.print(Text("All thresholds hold.", style="green"))
    if details:
        render_items(console, run)
    console.print()


def render_items(console: Console, run: EvalRun) -> None:
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for item in run.scores.items:
        if item.outcome != "matched":
            groups[(item.category, item.outcome, item.label)].append(item)
    if not groups:
        return
    console.print(Text("What is behind the scores (everything not matched):", style="bold"))
    for (category, outcome, label), items in sorted(groups.items()):
        console.print(Text(f"  {category} {outcome}: {label} ({len(items)})", style="bold"))
        for item in items:
            who = " ".join(x for x in (item.gold or "", f"[{item.predicted}]" if item.predicted else "") if x)
            console.print(Text(f"    {who}: {item.detail}"))
