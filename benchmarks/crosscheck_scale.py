"""Cross-check at corpus scale: synthetic claim sets with planted conflicts.

The planted pairs name their parties two ways (a country's army and its demonym's
armed forces; an armed group's full name and an acronym defined only in the other
article's text), so entity resolution must link them for the conflict to be found.

    python benchmarks/crosscheck_scale.py [--sizes 1000 10000 100000] [--seed 7]

For each size it builds a database of synthetic claims (background claims that are
consistent with each other, plus planted pairs of each conflict type), runs the same
`run_crosscheck` as `truce crosscheck` (load, block, compare, store), and prints the
candidate pairs compared, their share of all n² pairs, the time taken and the recall of
the planted conflicts. The figures are measured, not asserted: read them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractor.crosscheck.run import run_crosscheck  # noqa: E402
from extractor.storage.store import open_db  # noqa: E402

# No offers: an offer soon after an agreement between the same sides is a walk-back signal now.
BACKGROUND_KINDS = ["talks", "request", "agreement", "in_effect", "declaration", "extension"]
PLANTED_TYPES = ["existence", "status", "terms", "scope", "retraction"]
START = date(2014, 1, 1)


def _claim(cid: str, article: str, kind: str, day: date | None, **extra) -> dict:
    return {
        "id": cid,
        "article_id": article,
        "extraction_id": 1,
        "kind": kind,
        "summary": f"synthetic {kind}",
        "place": extra.get("place"),
        "scope": extra.get("scope", "unknown"),
        "event_date": day.isoformat() if day else None,
        "event_date_precision": "day" if day else "unknown",
        "event_date_text": None,
        "duration_text": extra.get("duration_text"),
        "duration_iso": extra.get("duration_iso"),
        "duration_open_ended": extra.get("open_ended"),
        "duration_bound": extra.get("bound"),
        "conditions": json.dumps(extra.get("conditions", [])),
        "terms": "[]",
        "factuality": extra.get("factuality", "reported"),
        "grounding": "grounded",
        "flags": "[]",
        "publisher": None,
        "speaker": extra.get("speaker"),
        "model": "synthetic",
        "prompt_hash": "synthetic",
        "created_at": "2026-01-01",
    }


# Each planted pair names its two sides differently in its two claims, as two outlets
# would: a state's forces by country and by demonym, an armed group by its full name
# and by an acronym that only the second article's text defines.
COUNTRIES = [("Ethiopia", "Ethiopian"), ("Sudan", "Sudanese"), ("Colombia", "Colombian"), ("Mali", "Malian"),
             ("Mozambique", "Mozambican"), ("Nigeria", "Nigerian"), ("Myanmar", "Burmese"), ("Yemen", "Yemeni"),
             ("Libya", "Libyan"), ("Somalia", "Somali"), ("Chad", "Chadian"), ("Niger", "Nigerien")]  # fmt: skip
GROUP_WORDS = ["Kasari", "Dorran", "Velmor", "Ostra", "Tambe", "Quill", "Barsa", "Nemor", "Ulwe", "Zerin"]


def _planted_names(index: int) -> tuple[list[str], list[str], str]:
    """Names of the two sides in claim a, in claim b, and claim b's article text."""
    country, demonym = COUNTRIES[index % len(COUNTRIES)]
    group = f"{GROUP_WORDS[index % len(GROUP_WORDS)]} {index} Liberation Front"
    acronym = f"{GROUP_WORDS[index % len(GROUP_WORDS)][0]}{index}LF"
    text = f"Fighting between the army and the {group} ({acronym}) went on, officials said."
    return [f"{country}'s army", group], [f"the {demonym} armed forces", acronym], text


def _planted(index: int, kind: str) -> list[dict]:
    """Two claims that conflict in the given way, on their own pair of parties."""
    day = START + timedelta(days=index % 3650)
    a, b = f"planted{index}-a", f"planted{index}-b"
    if kind == "existence":
        first = _claim(a, f"pa{index}", "in_effect", day, speaker=f"speaker {index}a")
        second = _claim(b, f"pb{index}", "denial", day, factuality="negated", speaker=f"speaker {index}b")
    elif kind == "status":  # said to hold two days after it was said to have ended
        first = _claim(a, f"pa{index}", "in_effect", day + timedelta(days=2), speaker=f"speaker {index}a")
        second = _claim(b, f"pb{index}", "end", day, speaker=f"speaker {index}b")
    elif kind == "terms":
        first = _claim(
            a,
            f"pa{index}",
            "agreement",
            day,
            speaker=f"speaker {index}a",
            duration_text="one month",
            duration_iso="P1M",
            bound="exact",
            open_ended=0,
        )
        second = _claim(
            b,
            f"pb{index}",
            "agreement",
            day,
            speaker=f"speaker {index}b",
            duration_text="open-ended",
            bound="none",
            open_ended=1,
        )
    elif kind == "scope":
        first = _claim(a, f"pa{index}", "request", day, scope="local", speaker=f"speaker {index}a")
        second = _claim(
            b, f"pb{index}", "denial", day, scope="organisation-wide", factuality="negated", speaker=f"speaker {index}b"
        )
    else:  # retraction: one speaker, two statements in two outlets
        first = _claim(a, f"pa{index}", "in_effect", day, speaker=f"speaker {index}")
        second = _claim(b, f"pb{index}", "denial", day, factuality="negated", speaker=f"speaker {index}")
    return [first, second]


def build(db_path: Path, size: int, rng: random.Random) -> set[tuple[str, str, str]]:
    """Write `size` claims; returns the planted conflicts (claim_a, claim_b, type)."""
    db = open_db(db_path)
    planted_pairs = max(size // 100, 5)
    claims, parties, planted, texts = [], [], set(), {}
    for index in range(planted_pairs):
        kind = PLANTED_TYPES[index % len(PLANTED_TYPES)]
        pair = _planted(index, kind)
        claims += pair
        planted.add((pair[0]["id"], pair[1]["id"], kind))
        names_a, names_b, texts[pair[1]["article_id"]] = _planted_names(index)
        parties += [(pair[0]["id"], name) for name in names_a] + [(pair[1]["id"], name) for name in names_b]
    groups = [f"Armed group {i}" for i in range(120)]
    side_pairs = [tuple(rng.sample(groups, 2)) for _ in range(600)]
    for index in range(size - len(claims)):
        cid = f"bg{index}"
        roll = rng.random()
        day = START + timedelta(days=rng.randrange(3650)) if roll > 0.05 else None
        claims.append(
            _claim(
                cid, f"bga{index // 4}", rng.choice(BACKGROUND_KINDS), day, speaker=f"background speaker {index % 997}"
            )
        )
        sides = side_pairs[rng.randrange(len(side_pairs))] if rng.random() > 0.1 else (rng.choice(groups),)
        parties += [(cid, name) for name in sides]
    articles = {c["article_id"] for c in claims}
    with db.atomic():
        db["runs"].insert({"id": 1, "command": "benchmark", "started_at": "2026-01-01", "status": "completed"})
        db["articles"].insert_all(
            # Half the background articles are dated; claims with neither date are compared with their whole block.
            (
                {
                    "id": a,
                    "text": texts.get(a, ""),
                    "published": "2024-12-31" if a.startswith("bga") and int(a[3:]) % 2 else None,
                    "added_at": "2026-01-01",
                }
                for a in articles
            ),
            batch_size=5000,
        )
        db["extractions"].insert(
            {
                "id": 1,
                "article_id": next(iter(articles)),
                "run_id": 1,
                "model": "synthetic",
                "prompt_hash": "synthetic",
                "status": "ok",
                "finished_at": "2026-01-01",
            }
        )
        db["claims"].insert_all(claims, batch_size=5000)
        db["parties"].insert_all(
            ({"claim_id": c, "position": 0, "name": n, "canonical": n, "role": "party"} for c, n in parties),
            batch_size=5000,
        )
        db["attributions"].insert_all(
            (
                {
                    "claim_id": c["id"],
                    "position": 0,
                    "role": "speaker",
                    "name": c["speaker"],
                    "anonymous": 0,
                    "named_in_text": 1,
                }
                for c in claims
            ),
            batch_size=5000,
        )
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"{'claims':>8} {'candidates':>11} {'share of n²':>12} {'seconds':>8} {'planted':>8} "
        f"{'found':>6} {'recall':>7} {'other flags':>11}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "bench.db"
            planted = build(db_path, size, random.Random(args.seed))
            db = open_db(db_path)
            started = time.perf_counter()
            report = run_crosscheck(db)
            seconds = time.perf_counter() - started
            flagged = {(a, b, t) for a, b, t in db.execute("SELECT claim_a, claim_b, type FROM conflicts")}
            found = len(planted & flagged)
            print(
                f"{size:>8} {report.candidates:>11} {report.share_of_n2:>12.6f} {seconds:>8.2f} "
                f"{len(planted):>8} {found:>6} {found / len(planted):>7.1%} {len(flagged - planted):>11}"
            )


if __name__ == "__main__":
    main()
