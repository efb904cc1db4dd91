"""Model calls spread over worker processes, for many calls in flight.

One Python process spends a few milliseconds of CPU on every call (the openai SDK,
instructor, JSON, grounding), under one GIL: at 64 calls in flight against a fast server
it is bound by one core, and calls wait for the interpreter rather than the network.
`WorkerPool` forks N worker processes, each with its own model client and threads; the
pipeline hands it articles and gets `Future`s back, as from a thread pool, and stores
the results itself, on its own thread, so a run stays resumable exactly as before.

Each worker has its own queue, and the next article goes to the worker with the fewest
unfinished, so the work spreads evenly and a worker that dies (out of memory, a crash)
fails only its own articles, with that reason. Workers ignore Ctrl-C (the pipeline
stops them), and end within a second of the pipeline's process, so a run killed with
SIGKILL leaves no process behind. Forking is Linux's way; elsewhere the pipeline keeps
to threads (`pipeline.default_processes`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from extractor.extraction.extract import ArticleExtractionResult, extract_article
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.read import Article


def _end_with_parent(parent: int) -> None:
    """A worker's queues stay open while it lives, so it would not notice a parent killed
    with SIGKILL: it checks every second instead, and ends with it."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _worker(settings: ModelSettings, options: tuple, threads: int, inbox: Any, outbox: Any, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with_parent, args=(parent,), daemon=True).start()
    client = ModelClient(settings)
    free = threading.Semaphore(threads)

    def run(token: int, article: Article) -> None:
        try:
            result = extract_article(article, client, *options)
        except Exception as exc:  # a bug must cost one article, not the run
            result = ArticleExtractionResult(article, error=f"internal error: {type(exc).__name__}: {exc}")
        finally:
            free.release()
        outbox.put((token, result))

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="truce-model") as pool:
        while True:
            free.acquire()
            try:
                item = inbox.get()
            except (EOFError, OSError):  # the pipeline is gone
                return
            if item is None:
                return
            pool.submit(run, *item)


class WorkerPool:
    """`submit(article)` → Future of its `ArticleExtractionResult`, computed in one of
    `processes` forked workers that share `concurrency` calls in flight. Each worker has its
    own queue and gets the next article when it has the fewest unfinished, so the pool
    knows which articles a worker holds: if a worker dies (out of memory, a crash), its
    articles fail with that reason and the others go on; if all die, every article does."""

    def __init__(self, settings: ModelSettings, options: tuple, processes: int, concurrency: int) -> None:
        context = multiprocessing.get_context("fork")
        processes = max(1, min(processes, concurrency))
        threads = [concurrency // processes + (n < concurrency % processes) for n in range(processes)]
        self._inboxes = [context.Queue() for _ in range(processes)]
        self._outbox = context.Queue()
        self._futures: dict[int, Future[ArticleExtractionResult]] = {}
        self._articles: dict[int, Article] = {}
        self._held: list[set[int]] = [set() for _ in range(processes)]  # unfinished tokens per worker
        self._lock = threading.Lock()
        self._next = 0
        self._stopping = False
        self._workers = [
            context.Process(
                target=_worker,
                args=(settings, options, threads[n], inbox, self._outbox, os.getpid()),
                daemon=True,
                name=f"truce-worker-{n}",
            )
            for n, inbox in enumerate(self._inboxes)
        ]
        # Python's advice for fork without exec: freeze what exists now, so the workers'
        # collector never walks (or writes to) the pages they share with this process.
        gc.freeze()
        for worker in self._workers:
            worker.start()
        self._reader = threading.Thread(target=self._read, name="truce-results", daemon=True)
        self._reader.start()

    def submit(self, article: Article) -> Future[ArticleExtractionResult]:
        future: Future[ArticleExtractionResult] = Future()
        with self._lock:
            alive = [n for n, worker in enumerate(self._workers) if worker.exitcode is None]
            if not alive:
                future.set_result(ArticleExtractionResult(article, error="internal error: no worker process is left"))
                return future
            token, self._next = self._next, self._next + 1
            chosen = min(alive, key=lambda n: len(self._held[n]))
            self._futures[token], self._articles[token] = future, article
            self._held[chosen].add(token)
        self._inboxes[chosen].put((token, article))
        return future

    def _settle(self, token: int, result: ArticleExtractionResult) -> None:
        with self._lock:
            future = self._futures.pop(token, None)
            self._articles.pop(token, None)
            for held in self._held:
                held.discard(token)
        if future is not None and future.set_running_or_notify_cancel():
            future.set_result(result)

    def _fail_dead_workers(self) -> None:
        for n, worker in enumerate(self._workers):
            if worker.exitcode is None or self._stopping:
                continue
            with self._lock:
                lost = [(token, self._articles[token]) for token in self._held[n] if token in self._articles]
            reason = f"internal error: worker process {worker.name} exited with code {worker.exitcode}"
            for token, article in lost:
                self._settle(token, ArticleExtractionResult(article, error=reason))

    def _read(self) -> None:
        while True:
            try:
                item = self._outbox.get(timeout=0.5)
            except queue.Empty:
                self._fail_dead_workers()
                continue
            except (EOFError, OSError):
                return
            if item is None:
                return
            self._settle(*item)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Stop the workers: after the articles handed out when `wait`, at once otherwise."""
        if not wait:  # a worker stopped halfway may hold a queue's lock: never wait on one
            for inbox in self._inboxes:
                inbox.cancel_join_thread()
            self._outbox.cancel_join_thread()
        for inbox in self._inboxes:
            inbox.put(None)
        for worker in self._workers:
            worker.join(timeout=None if wait else 0.5)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        self._stopping = True
        gc.unfreeze()  # what was frozen for the fork may be collected again
        self._outbox.put(None)
        self._reader.join(timeout=None if wait else 1.0)
        with self._lock:
            left = list(self._futures.values())
            self._futures.clear()
        for future in left:
            future.cancel()
