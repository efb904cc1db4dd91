"""An eval run: predictions from the real pipeline, then scores.

Three ways to get predictions, all through the same code as `truce extract`:
- replay: a recording of the suite (a vcrpy cassette) answers the model calls;
- live: a model endpoint answers them, optionally recorded as a new recording;
- crosscheck-only: the gold claims go through the real grounding, storage and
  cross-check, so the cross-check is scored apart from any model; with
  `names_as_written` the gold's standard party names are dropped first, as a model
  that gives only the names as written would answer.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from extractor.crosscheck.run import run_crosscheck
from extractor.evals.score import PredictedClaim, PredictedConflict, PredictedParty, Scores, score
from extractor.evals.suite import GoldClaim, Recording, Suite, SuiteError
from extractor.extraction.extract import ArticleExtractionResult, ground_claim
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.extraction.prompts import extraction_prompt_hash
from extractor.extraction.schema import TruceClaim
from extractor.grounding.ground import NormalisedText
from extractor.pipeline import run_extraction
from extractor.recording.cassettes import cassette
from extractor.storage import store

GOLD_MODEL = "gold"
REPLAY_MISMATCH = "No recorded response matches"
# Settings a recording keeps so that its replay sends byte-identical requests.
RECORDED_SETTINGS = ("model", "base_url", "mode", "max_tokens", "validation_retries", "temperature", "timeout")


@dataclass
class EvalRun:
    suite: Suite
    mode: str  # replay | live | crosscheck-only
    recording: str | None
    model: str | None
    prompt_hash: str | None
    scores: Scores
    seconds: float
    threshold_failures: list[str]
    thresholds_apply: bool

    @property
    def passed(self) -> bool:
        return not self.threshold_failures

    def summary(self) -> dict:
        return {
            "suite": self.suite.name,
            "mode": self.mode,
            "recording": self.recording,
            "model": self.model,
            "prompt_hash": self.prompt_hash,
            **self.scores.summary,
            "thresholds": {
                "applied": self.thresholds_apply,
                "passed": self.passed,
                "failures": self.threshold_failures,
            },
        }


@contextmanager
def _work_db(keep: Path | None) -> Iterator[Database]:
    """The database the pipeline writes into: a temporary one unless asked to keep it."""
    if keep is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{keep}{suffix}").unlink(missing_ok=True)
        yield store.open_db(keep)
        return
    with tempfile.TemporaryDirectory(prefix="truce-eval-") as tmp:
        db = store.open_db(Path(tmp) / "eval.db")
        yield db
        db.close()


NAMES_AS_WRITTEN = "names-as-written"


def _answer(claim: GoldClaim, names_as_written: bool) -> dict:
    answer = claim.model_answer()
    if names_as_written:
        for party in answer["parties"]:
            party["standard_name"] = None
    return answer


def _store_gold(db: Database, suite: Suite, names_as_written: bool = False) -> None:
    """The gold claims as if a model had returned them: real grounding, real storage."""
    run_id = store.start_run(db, "eval crosscheck-only", GOLD_MODEL)
    totals = store.RunTotals()
    for item in suite.articles:
        article = item.article
        normalised = NormalisedText.of(article.text)
        claims = [
            ground_claim(TruceClaim.model_validate(_answer(c, names_as_written)), article, normalised)
            for c in item.gold.claims
        ]
        store.save_extraction(db, run_id, ArticleExtractionResult(article, claims), GOLD_MODEL, GOLD_MODEL)
        totals.extracted += 1
    store.finish_run(db, run_id, totals, [], "completed")


def recording_settings(recording: Recording) -> ModelSettings:
    known = {k: v for k, v in recording.settings.items() if k in RECORDED_SETTINGS}
    if "model" not in known:
        raise SuiteError(f"{recording.cassette.with_suffix('.json')} does not name the model that was recorded.")
    return ModelSettings(api_key="not-needed", **known)


def rerecord_hint(suite: Suite, recording: Recording) -> str:
    if recording.model == "reference":
        return "Re-record it with: python -m extractor.recording.record --only suites"
    s = recording.settings
    return (
        f"Re-record it against a server running {recording.model} with: truce eval {suite.path} "
        f"--base-url URL --model {recording.model} --mode {s.get('mode', 'json_schema')} --record {recording.name}"
    )


def _extract(db: Database, suite: Suite, client: ModelClient, concurrency: int) -> dict[str, str]:
    report = run_extraction(db, [a.article for a in suite.articles], client, concurrency=concurrency, command="eval")
    return {Path(e["source"]).stem: e["error"] for e in report.errors}


def save_recording_meta(path: Path, settings: ModelSettings, label: str) -> None:
    meta = {
        "label": label,
        "recorded_at": store.now(),
        "settings": {k: getattr(settings, k) for k in RECORDED_SETTINGS},
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")


def run_eval(
    suite: Suite,
    *,
    recording: str | None = None,
    live: ModelSettings | None = None,
    record_as: str | None = None,
    record_label: str | None = None,
    crosscheck_only: bool = False,
    names_as_written: bool = False,
    keep_db: Path | None = None,
    concurrency: int = 1,
) -> EvalRun:
    """Produce predictions one of the three ways, cross-check them, score them."""
    started = time.perf_counter()
    failed: dict[str, str] = {}
    with _work_db(keep_db) as db:
        if crosscheck_only:
            name = NAMES_AS_WRITTEN if names_as_written else None
            mode, model, prompt_hash = "crosscheck-only", GOLD_MODEL, None
            _store_gold(db, suite, names_as_written)
        elif live is not None:
            mode, model, prompt_hash, name = "live", live.model, extraction_prompt_hash(), record_as
            target = suite.path / "recordings" / f"{record_as}.yaml" if record_as else None
            if target is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.unlink(missing_ok=True)
            server = live.base_url or "OpenAI"
            label = record_label or f"Recorded from the server at {server} running {live.model}.\nmodel: {live.model}"
            secrets = (live.api_key,) if live.api_key and live.api_key != "not-needed" else ()
            context = cassette(target, record=True, label=label, secrets=secrets) if target else nullcontext()
            with context:
                failed = _extract(db, suite, ModelClient(live), concurrency)
            if target is not None:
                save_recording_meta(target, live, label)
        else:
            chosen = suite.recording(recording or "reference")
            if chosen.articles:
                suite = suite.subset(chosen.articles)
            mode, model, prompt_hash, name = "replay", chosen.model, extraction_prompt_hash(), chosen.name
            with cassette(chosen.cassette):
                failed = _extract(db, suite, ModelClient(recording_settings(chosen)), concurrency=1)
            stale = [stem for stem, error in failed.items() if REPLAY_MISMATCH in error]
            if stale:
                raise SuiteError(
                    f"The recording {chosen.name} of suite {suite.name} no longer matches the requests the "
                    f"pipeline sends (the prompt, the schema or an article changed; first: {stale[0]}). "
                    + rerecord_hint(suite, chosen)
                )
        run_crosscheck(db, command="eval crosscheck")
        predicted, conflicts = load_predictions(db, suite)
    scores = score(suite, predicted, conflicts, failed)
    section = ("crosscheck-only" + (f" {name}" if name else "")) if crosscheck_only else name
    thresholds = suite.thresholds.get(section or "", {})
    run = EvalRun(
        suite,
        mode,
        name,
        model,
        prompt_hash,
        scores,
        time.perf_counter() - started,
        threshold_failures(scores.summary, thresholds),
        bool(thresholds),
    )
    return run


def headline(summary: dict) -> dict[str, float | int | None]:
    """The scores thresholds and `truce eval compare` speak of, by metric name."""
    return {
        "claims_precision": summary["claims"]["precision"],
        "claims_recall": summary["claims"]["recall"],
        "claims_f1": summary["claims"]["f1"],
        "conflicts_precision": summary["conflicts"]["precision"],
        "conflicts_recall": summary["conflicts"]["recall"],
        "entities_resolved": summary["entities"]["share"],
        "grounded_share": summary["grounding"]["grounded_share"],
        "max_hard_negatives_flagged": summary["conflicts"]["hard_negatives"]["flagged"],
        "max_no_claim_spans_hit": summary["no_claim_spans"]["hit"],
    }


def _metric(summary: dict, name: str) -> float | None:
    values = headline(summary)
    if name not in values:
        raise SuiteError(f"thresholds.toml names an unknown metric {name!r}.")
    return values[name]


def threshold_failures(summary: dict, thresholds: dict[str, float]) -> list[str]:
    """One sentence per threshold that does not hold. `max_*` are upper bounds."""
    failures = []
    for name, limit in sorted(thresholds.items()):
        value = _metric(summary, name)
        if name.startswith("max_"):
            if value is not None and value > limit:
                failures.append(f"{name[4:]} is {value}, above the allowed {limit}")
        elif value is None or value < limit:
            failures.append(f"{name} is {value}, below the threshold {limit}")
    return failures


# --- predictions from the work database -------------------------------------------------


def load_predictions(db: Database, suite: Suite) -> tuple[list[PredictedClaim], list[PredictedConflict]]:
    stems = {item.article.id: item.stem for item in suite.articles}
    texts = {item.article.id: item.article.text for item in suite.articles}
    evidence: dict[str, list[dict]] = defaultdict(list)
    for row in db.query('SELECT claim_id, quote, start, "end" FROM evidence ORDER BY claim_id, position'):
        evidence[row["claim_id"]].append(row)
    parties: dict[str, list[PredictedParty]] = defaultdict(list)
    for row in db.query("SELECT claim_id, name, entity_id, role FROM parties ORDER BY claim_id, position"):
        parties[row["claim_id"]].append(PredictedParty(row["name"], row["role"], row["entity_id"]))
    speakers: dict[str, dict] = {}
    relays: dict[str, list[str]] = defaultdict(list)
    for row in db.query("SELECT claim_id, role, name, anonymous FROM attributions ORDER BY claim_id, position"):
        if row["role"] == "speaker":
            speakers[row["claim_id"]] = row
        elif row["role"] == "relay" and row["name"]:
            relays[row["claim_id"]].append(row["name"])
    predicted = []
    for row in db.query("SELECT * FROM claims ORDER BY id"):
        claim_id, text = row["id"], texts.get(row["article_id"], "")
        quotes = evidence[claim_id]
        spans = [(q["start"], q["end"]) for q in quotes if q["start"] is not None]
        speaker = speakers.get(claim_id, {})
        predicted.append(
            PredictedClaim(
                id=claim_id,
                article_stem=stems.get(row["article_id"], row["article_id"]),
                kind=row["kind"],
                factuality=row["factuality"],
                grounding=row["grounding"],
                spans=spans,
                quotes=len(quotes),
                quotes_slicing_back=sum(
                    q["start"] is not None and text[q["start"] : q["end"]] == q["quote"] for q in quotes
                ),
                parties=parties[claim_id],
                speaker_name=speaker.get("name"),
                speaker_anonymous=bool(speaker.get("anonymous")),
                relays=relays[claim_id],
                duration_iso=row["duration_iso"],
                duration_bound=row["duration_bound"],
                duration_open_ended=bool(row["duration_open_ended"]) if row["duration_text"] is not None else None,
                has_duration=row["duration_text"] is not None,
                event_date=row["event_date"],
                event_date_precision=row["event_date_precision"] or "unknown",
            )
        )
    conflicts = [
        PredictedConflict(r["claim_a"], r["claim_b"], r["type"], r["reason"], r["method"])
        for r in db.query("SELECT claim_a, claim_b, type, reason, method FROM conflicts ORDER BY id")
    ]
    return predicted, conflicts
