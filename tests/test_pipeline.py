"""A run over many articles keeps going when one article breaks."""

from __future__ import annotations

from extractor import pipeline
from extractor.extraction.model import ModelClient, ModelSettings
from extractor.read import read_articles
from extractor.storage import store


def test_an_unexpected_error_costs_one_article_not_the_run(monkeypatch, reference_url, seeds_dir, db_path):
    real = pipeline.extract_article

    def breaks_on_seed_003(article, client, strict, *windowing):
        if article.id.startswith("410fb558418070a2"):
            raise RuntimeError("boom")
        return real(article, client, strict, *windowing)

    monkeypatch.setattr(pipeline, "extract_article", breaks_on_seed_003)
    db = store.open_db(db_path)
    client = ModelClient(ModelSettings(model="reference", base_url=reference_url, api_key="x", mode="json_schema"))
    report = pipeline.run_extraction(db, read_articles([seeds_dir]), client, concurrency=3)
    assert (report.totals.extracted, report.totals.failed) == (4, 1)
    failed = list(db.query("SELECT article_id, error FROM extractions WHERE status = 'failed'"))
    assert failed == [{"article_id": "410fb558418070a2", "error": "internal error: RuntimeError: boom"}]
    assert db.execute("SELECT COUNT(*) FROM claims WHERE article_id LIKE '410fb558418070a2%'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(DISTINCT article_id) FROM claims").fetchone()[0] == 3  # 002 holds none
