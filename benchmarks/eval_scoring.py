"""Eval scoring at scale: a synthetic suite of many articles, scored in memory.

    python benchmarks/eval_scoring.py [--articles 1000] [--claims 5] [--seed 7]

It builds a suite of synthetic articles, each with a few gold claims (evidence spans,
parties with entity keys, a conflict and a hard negative per pair of neighbouring
articles), and predictions that match most gold claims, miss some, add false ones and
shift spans. It times `score()` (matching, fields, entities, conflicts: the work
`truce eval` does after the pipeline has run) and prints the figures. They are
measured, not asserted: read them.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractor.evals.score import PredictedClaim, PredictedConflict, PredictedParty, score  # noqa: E402
from extractor.evals.suite import ArticleGold, GoldClaim, Suite, SuiteArticle  # noqa: E402
from extractor.read import make_article  # noqa: E402

KINDS = ["request", "offer", "agreement", "in_effect", "violation", "denial"]


def build(articles: int, claims: int, rng: random.Random) -> tuple[Suite, list[PredictedClaim], list]:
    entries, predicted, conflicts = [], [], []
    for n in range(articles):
        stem = f"a{n:05d}"
        sentences = [f"Sentence {i} of article {n} says the sides {rng.choice(KINDS)} a truce." for i in range(claims)]
        text = " ".join(sentences)
        gold_claims = []
        for i, sentence in enumerate(sentences):
            kind = KINDS[(n + i) % len(KINDS)]
            gold_claims.append(
                GoldClaim(
                    id=f"c{i}",
                    kind=kind,
                    summary=sentence,
                    parties=[
                        {"name": f"Front {n % 50}", "role": "party", "entity": f"war{n % 50}:front"},
                        {"name": f"Army {n % 50}", "role": "party", "entity": f"war{n % 50}:army"},
                    ],
                    factuality="reported",
                    evidence=[{"quote": sentence}],
                )
            )
            start = text.index(sentence)
            roll = rng.random()
            if roll < 0.1:
                continue  # missed
            shift = rng.randint(0, 10)
            predicted.append(
                PredictedClaim(
                    id=f"{stem}-{i}",
                    article_stem=stem,
                    kind=kind if roll > 0.2 else "talks",
                    factuality="reported",
                    grounding="grounded",
                    spans=[(start + shift, start + len(sentence))],
                    quotes=1,
                    quotes_slicing_back=1,
                    parties=[
                        PredictedParty(f"Front {n % 50}", "party", f"front {n % 50}"),
                        PredictedParty(f"Army {n % 50}", "party", f"army {n % 50 if roll > 0.05 else 0}"),
                    ],
                )
            )
        if rng.random() < 0.3:
            predicted.append(
                PredictedClaim(f"{stem}-x", stem, "denial", "negated", "ungrounded", [], 1, 0)
            )  # an invented quote
        conflicts_gold, negatives = [], []
        if n:
            previous = f"a{n - 1:05d}"
            conflicts_gold.append({"a": f"{previous}#c0", "b": f"{stem}#c0", "type": "existence"})
            negatives.append({"a": f"{previous}#c1", "b": f"{stem}#c1", "why": "sequence"})
            conflicts.append(PredictedConflict(f"{previous}-0", f"{stem}-0", "existence", "synthetic", "rule: x"))
            if rng.random() < 0.2:
                conflicts.append(PredictedConflict(f"{previous}-1", f"{stem}-1", "terms", "synthetic", "rule: x"))
        gold = ArticleGold(
            article=f"{stem}.txt",
            note="synthetic",
            claims=gold_claims,
            conflicts=conflicts_gold,
            hard_negatives=negatives,
        )
        entries.append(SuiteArticle(stem, make_article(text, f"{stem}.txt"), gold))
    return Suite(Path("synthetic"), "synthetic", entries), predicted, conflicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--claims", type=int, default=5, help="gold claims per article")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{'articles':>8} {'gold':>7} {'predicted':>9} {'conflicts':>9} {'seconds':>8} {'claims F1':>9}")
    for articles in args.articles:
        suite, predicted, conflicts = build(articles, args.claims, random.Random(args.seed))
        started = time.perf_counter()
        result = score(suite, predicted, conflicts)
        seconds = time.perf_counter() - started
        summary = result.summary
        print(
            f"{articles:>8} {summary['claims']['gold']:>7} {len(predicted):>9} {len(conflicts):>9} "
            f"{seconds:>8.2f} {summary['claims']['f1']:>9.3f}"
        )


if __name__ == "__main__":
    main()
