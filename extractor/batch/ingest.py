"""`truce batch ingest`: the results of a batch stored as a live run stores its answers.

Each result line is mapped back (custom_id) to the request `truce batch prepare`
recorded, and its answer goes through the live client (parse, validate, tokens, call
records), grounding, canonical names and the store, one transaction per article. An
error line, or an answer that does not fit the schema, is a failed article, as live.
Claims whose quotes do not align are stored flagged; `truce batch prepare --reask`
writes their re-ask, and ingesting its answer merges it as the live re-ask does.
Lines already ingested are passed over, so ingesting a file again changes nothing; a
second answer to the same custom_id in the files given is named and not used (the first
one is). Each line's request is read, and its state changed, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlite_utils import Database

from extractor.batch import ledger
from extractor.batch.calls import (
    EXTRACT,
    BatchAnswers,
    RequestChangedError,
    batch_settings,
    messages_for,
    reask_state,
)
from extractor.batch.jsonl import BatchResultLine, read_results
from extractor.batch.ledger import BatchRequest
from extractor.errors import ModelCallError
from extractor.extraction.cost import RunCost, run_cost
from extractor.extraction.extract import (
    ArticleExtractionResult,
    apply_reask,
    ground_claim,
    once_each,
    reask_problems,
)
from extractor.extraction.model import StructuredResult
from extractor.extraction.prompts import extraction_prompt_hash
from extractor.grounding.ground import NormalisedText
from extractor.read import Article
from extractor.storage import store

AWAITING_REASK = "not re-asked yet: `truce batch prepare --reask` writes the re-ask"


@dataclass
class IngestReport:
    run_id: int
    totals: store.RunTotals
    errors: list[dict] = field(default_factory=list)  # failed articles: {source, error}
    problems: list[str] = field(default_factory=list)  # lines that could not be ingested
    reasked: int = 0  # articles whose re-ask answers were merged
    awaiting_reask: int = 0  # articles stored with quotes that do not align, not re-asked yet
    waiting: int = 0  # answers in the files still kept until the other windows of their article are answered
    unanswered: list[BatchRequest] = field(default_factory=list)  # prepared requests the files lack
    article_ids: list[str] = field(default_factory=list)
    cost: RunCost | None = None  # at the batch discount, where the model's price is known


class _Answers:
    """One live client per model, mode and token cap, each answering from the batch."""

    def __init__(self) -> None:
        self._clients: dict[tuple, BatchAnswers] = {}

    def __call__(self, request: BatchRequest) -> BatchAnswers:
        key = (request.model, request.mode, request.max_tokens)
        if key not in self._clients:
            self._clients[key] = BatchAnswers(batch_settings(*key))
        return self._clients[key]


def ingest_results(db: Database, paths: list[Path]) -> IngestReport:
    """Store every answer in the results files (an OpenAI batch's output and error
    files, or `vllm run-batch`'s output)."""
    answered = {line.custom_id for _, line in read_results(paths) if isinstance(line, BatchResultLine)}
    requests = ledger.by_custom_id(db, answered)  # for the run's record; each line's request is read again

    def single(values: set) -> str | None:
        return next(iter(values)) if len(values) == 1 else None

    run_id = store.start_run(
        db,
        "batch ingest",
        single({r.model for r in requests.values()}),
        None,
        single({r.mode for r in requests.values()}),
        single({r.prompt_hash for r in requests.values()}),
    )
    report = IngestReport(run_id=run_id, totals=store.RunTotals())
    clients = _Answers()
    prompt_hash = extraction_prompt_hash()
    first_at: dict[str, str] = {}  # custom_id: where its first answer is
    status = "failed"
    try:
        for where, line in read_results(paths):  # read again, a line at a time
            if isinstance(line, str):
                report.problems.append(line)
                continue
            if line.custom_id in first_at:
                report.problems.append(
                    f"{where}: a second answer to {line.custom_id} (the first is at {first_at[line.custom_id]}); "
                    "not used"
                )
                continue
            first_at[line.custom_id] = where
            try:
                with store.transaction(db):  # the request's state is read and changed under the write lock
                    problem = _ingest_line(db, report, line, clients, prompt_hash)
            except ledger.StaleRequestError as exc:
                problem = str(exc)
            if problem:
                report.problems.append(f"{where}: {problem}")
        status = "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        errors = report.errors + [{"source": "batch results", "error": p} for p in report.problems]
        totals = report.totals
        model = single({r.model for r in requests.values()})
        report.cost = run_cost(
            model or "several models", totals.input_tokens, totals.cached_tokens, totals.output_tokens, batch=True
        )
        store.finish_run(db, run_id, totals, errors, status, report.cost)
    report.unanswered = ledger.unanswered(db, {r.prepare_run_id for r in requests.values()}, answered)
    report.waiting = sum(r.status == ledger.ANSWERED for r in ledger.by_custom_id(db, answered).values())
    return report


def _ingest_line(
    db: Database, report: IngestReport, line: BatchResultLine, clients: _Answers, prompt_hash: str
) -> str | None:
    """Store one line's answer (with its article's other windows' answers, once all are
    in), or keep it until they are; what is wrong with it, if it cannot be used. Runs in
    a transaction: the request's state is read here, not before."""
    request = ledger.get(db, line.custom_id)
    problem = _unusable(db, request, line.custom_id, prompt_hash)
    if problem:
        return problem
    assert request is not None
    if request.status == ledger.ANSWERED:
        return None  # kept before, still waiting for its article's other windows (counted in `waiting`)
    if request.status != ledger.PREPARED:
        report.totals.skipped += 1  # ingested before
        return None
    group = ledger.group_of(db, request)
    others = [r for r in group if r.custom_id != request.custom_id]
    if any(r.status != ledger.ANSWERED for r in others):
        ledger.save_answer(db, request, line.model_dump_json())
        return None
    answers = {r.custom_id: BatchResultLine.model_validate_json(r.result_json or "") for r in others}
    answers[request.custom_id] = line
    article = ledger.stored_article(db, request.article_id)
    try:
        if request.purpose == EXTRACT:
            result, kept = extract_result(article, group, answers, clients)
        else:
            result, kept = reask_result(db, article, group, answers, clients), {}
    except RequestChangedError:
        return (
            f"the request truce makes now for {request.custom_id} is not the one prepared "
            "(settings or libraries changed); prepare the article again"
        )
    _save(db, report.run_id, group, result, kept)
    _count(report, request, result, kept)
    return None


def _unusable(db: Database, request: BatchRequest | None, custom_id: str, prompt_hash: str) -> str | None:
    """Why a line's answer cannot be stored, if it cannot."""
    if request is None:
        return (
            f"no request {custom_id!r} was prepared in this database; "
            "ingest into the database `truce batch prepare` wrote to (--db)"
        )
    if request.status != ledger.PREPARED:
        return None
    if request.prompt_hash != prompt_hash:
        return (
            f"{custom_id} was prepared with another prompt ({request.prompt_hash}, now {prompt_hash}); "
            "prepare the article again"
        )
    if request.purpose != EXTRACT and not ledger.is_current(db, request.reasks_extraction_id):
        return f"{custom_id} re-asks claims that have been replaced since (extracted again); its answer is not used"
    return None


def _ask(
    client: BatchAnswers, request: BatchRequest, article: Article, line: BatchResultLine, answer_json: str | None = None
) -> StructuredResult:
    """The live client's structured answer from a result line, or its ModelCallError."""
    messages = messages_for(request.purpose, article, request.excerpts(article), answer_json)
    response = line.response
    if not line.answered or response is None or response.body is None:
        raise client.no_answer(messages, request.purpose, line.failure())
    return client.answer(messages, request.purpose, request.body_hash, response.status_code, response.body)


def extract_result(
    article: Article, group: list[BatchRequest], answers: dict[str, BatchResultLine], clients: _Answers
) -> tuple[ArticleExtractionResult, dict[str, str]]:
    """An article's result from the answers to its requests (one per window), as
    `extract_article` makes it, and each window's answer as its re-ask would quote it
    back, kept when a quote does not align. The article fails with its first failed
    window; the calls of every window are kept, since all were made."""
    result = ArticleExtractionResult(article=article)
    normalised = NormalisedText.of(article.text)
    found, kept, reask = [], {}, False
    for request in group:
        try:
            first = _ask(clients(request), request, article, answers[request.custom_id])
        except ModelCallError as exc:
            result.calls += exc.calls
            result.error = result.error or str(exc)
            continue
        result.calls += first.calls
        grounded = [ground_claim(claim, article, normalised) for claim in first.value.claims]
        problems = reask_problems(grounded)
        for problem in problems:
            grounded[problem["index"] - 1].flags.append(AWAITING_REASK)
        reask = reask or bool(problems)
        kept[request.custom_id] = first.value.model_dump_json(exclude_none=True)
        found.extend(grounded)
    if result.error:
        return result, {}
    result.claims = found if group[0].excerpt_spans is None else once_each(found)
    return result, kept if reask else {}


def reask_result(
    db: Database, article: Article, group: list[BatchRequest], answers: dict[str, BatchResultLine], clients: _Answers
) -> ArticleExtractionResult:
    """An article's claims with the re-ask answers merged into its windows' first answers,
    as the live re-ask merges them; a failed re-ask flags its claims, as live."""
    result = ArticleExtractionResult(article=article)
    normalised = NormalisedText.of(article.text)
    reasks = {request.window: request for request in group}
    firsts = ledger.answers_of(db, group[0].reasks_extraction_id)
    found = []
    for first in firsts:
        grounded, problems = reask_state(article, first.answer_json or "{}")
        request = reasks.get(first.window)
        if request is not None and problems:
            grounded = apply_reask(
                result,
                grounded,
                problems,
                partial(_ask, clients(request), request, article, answers[request.custom_id], first.answer_json),
                article,
                normalised,
            )
        found.extend(grounded)
    result.claims = found if firsts and firsts[0].excerpt_spans is None else once_each(found)
    return result


def _save(
    db: Database, run_id: int, group: list[BatchRequest], result: ArticleExtractionResult, kept: dict[str, str]
) -> None:
    """The article's outcome and its requests' new state, in one transaction (StaleRequestError,
    and nothing stored, if a request is not in the state it was read in)."""
    first = group[0]
    with store.transaction(db):
        store.save_extraction(db, run_id, result, first.model, first.prompt_hash)
        (extraction_id,) = db.execute(
            "SELECT MAX(id) FROM extractions WHERE article_id = ? AND run_id = ?", [result.article.id, run_id]
        ).fetchone()
        status = ledger.FAILED if result.error else ledger.INGESTED
        for request in group:
            ledger.mark_done(db, request, status, extraction_id, run_id, kept.get(request.custom_id))


def _count(report: IngestReport, request: BatchRequest, result: ArticleExtractionResult, kept: dict) -> None:
    totals = report.totals
    totals.input_tokens += result.input_tokens
    totals.cached_tokens += sum(call.cached_tokens or 0 for call in result.calls)
    totals.output_tokens += result.output_tokens
    if result.error:
        totals.failed += 1
        report.errors.append({"source": result.article.source, "error": result.error})
        return
    totals.extracted += 1
    report.article_ids.append(result.article.id)
    report.reasked += request.purpose != EXTRACT
    report.awaiting_reask += bool(kept)
