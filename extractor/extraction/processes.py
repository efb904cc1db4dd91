"""Model calls spread over worker processes, for many calls in flight.

One Python process spends a few milliseconds of CPU on every call (the openai SDK,
instructor, JSON, grounding), under one GIL: at 64 calls in flight against a fast server
it is bound by one core, and calls wait for the interpreter rather than the network.
`WorkerPool` forks N worker processes, each with its own model client and threads; the
pipeline hands it articles and gets `Future`s back, as from a thread pool, and stores
the results itself, on its own thread, so a run stays resumable exactly as before.

A worker takes a new article only when one of its threads is free, so the work spreads
evenly. Workers ignore Ctrl-C (the pipeline stops them), and end within a second of the
pipeline's process, so a run killed with SIGKILL leaves no process behind.
"""

from __future__ import annotations

import multiprocessing
import os
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
        outbox.put((token, result))
        free.release()

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
    `processes` forked workers with `threads` calls in flight each."""

    def __init__(self, settings: ModelSettings, options: tuple, processes: int, threads: int) -> None:
        context = multiprocessing.get_context("fork")
        self._inbox = context.Queue()
        self._outbox = context.Queue()
        self._futures: dict[int, Future[ArticleExtractionResult]] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._workers = [
            context.Process(
                target=_worker,
                args=(settings, options, threads, self._inbox, self._outbox, os.getpid()),
                daemon=True,
                name=f"truce-worker-{n}",
            )
            for n in range(processes)
        ]
        for worker in self._workers:
            worker.start()
        self._reader = threading.Thread(target=self._read, name="truce-results", daemon=True)
        self._reader.start()

    def submit(self, article: Article) -> Future[ArticleExtractionResult]:
        future: Future[ArticleExtractionResult] = Future()
        with self._lock:
            token = self._next
            self._next += 1
            self._futures[token] = future
        self._inbox.put((token, article))
        return future

    def _read(self) -> None:
        while True:
            try:
                item = self._outbox.get()
            except (EOFError, OSError):
                return
            if item is None:
                return
            token, result = item
            with self._lock:
                future = self._futures.pop(token, None)
            if future is not None and future.set_running_or_notify_cancel():
                future.set_result(result)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Stop the workers: after the articles handed out when `wait`, at once otherwise."""
        if not wait:  # a worker stopped halfway may hold a queue's lock: never wait on one
            self._inbox.cancel_join_thread()
            self._outbox.cancel_join_thread()
        for _ in self._workers:
            self._inbox.put(None)
        for worker in self._workers:
            worker.join(timeout=None if wait else 0.5)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        self._outbox.put(None)
        self._reader.join(timeout=None if wait else 1.0)
        with self._lock:
            left = list(self._futures.values())
            self._futures.clear()
        for future in left:
            future.cancel()
