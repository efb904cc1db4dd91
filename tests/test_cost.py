"""What a run cost: the price table, the user's prices, cached input, the batch discount,
the summary line and the runs row."""

from __future__ import annotations

import re

import pytest
from truce_helpers import invoke, query, seed_path

from extractor import pipeline
from extractor.errors import ConfigError
from extractor.extraction.cost import format_usd, price_table, run_cost, table_prices
from extractor.extraction.extract import ArticleExtractionResult
from extractor.extraction.model import CallRecord, ModelClient, ModelSettings
from extractor.read import read_articles
from extractor.storage import migrations, store

MILLION = 1_000_000

# --- the price table -----------------------------------------------------------------


def test_the_price_table_is_dated_and_holds_the_common_openai_models():
    table = price_table()
    assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", table.as_of)
    assert table.source.startswith("https://")
    for model in ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o4-mini"):
        assert model in table.models, model


def test_every_row_of_the_price_table_is_a_possible_price():
    for model, prices in price_table().models.items():
        assert prices.input > 0 and prices.output > 0, model
        assert 0 < prices.cached_input <= prices.input, model  # a cache never costs more than a fresh read
    assert 0 < price_table().batch_discount < 1


def test_a_million_tokens_each_way_costs_the_two_list_prices():
    cost = run_cost("gpt-4o-mini", MILLION, 0, MILLION)
    assert cost.source == "table"
    assert cost.usd == pytest.approx(0.15 + 0.60)  # OpenAI's list prices for gpt-4o-mini
    assert cost.describe() == "cost $0.7500"


def test_a_dated_snapshot_is_priced_as_its_model():
    snapshot = run_cost("gpt-4o-mini-2024-07-18", 12_000, 3_000, 4_000)
    family = run_cost("gpt-4o-mini", 12_000, 3_000, 4_000)
    assert snapshot.usd == family.usd
    assert snapshot.priced_as == "gpt-4o-mini"
    assert run_cost("gpt-4.1-2025-04-14", MILLION, 0, 0).usd == run_cost("gpt-4.1", MILLION, 0, 0).usd


def test_a_snapshot_priced_apart_from_its_family_keeps_its_own_row():
    old = run_cost("gpt-4o-2024-05-13", MILLION, 0, MILLION)
    assert old.priced_as == "gpt-4o-2024-05-13"
    assert old.usd != run_cost("gpt-4o", MILLION, 0, MILLION).usd


@pytest.mark.parametrize(
    "model",
    ["reference", "llama3.1", "Qwen/Qwen2.5-7B-Instruct", "gpt-4o-mini-search-preview", "gpt-4o-audio", "o4"],
)
def test_a_local_or_unknown_model_has_no_price_and_its_cost_is_unknown_not_zero(model):
    assert table_prices(model) is None
    cost = run_cost(model, 5_000, 0, 1_000)
    assert (cost.source, cost.usd, cost.prices) == ("unknown", None, None)
    assert cost.describe() == f"cost unknown (no price for model {model}; pass --price-in/--price-out)"
    assert "$" not in cost.describe()


# --- cached input, the user's prices, batch ------------------------------------------


def test_cached_input_is_charged_at_the_cached_price():
    prices = price_table().models["gpt-4.1"]
    fresh = run_cost("gpt-4.1", MILLION, 0, 0)
    half_cached = run_cost("gpt-4.1", MILLION, MILLION // 2, 0)
    assert fresh.usd == pytest.approx(prices.input)
    assert half_cached.usd == pytest.approx((prices.input + prices.cached_input) / 2)
    assert half_cached.usd < fresh.usd


def test_more_cached_than_input_tokens_never_makes_a_cost_below_all_cached():
    all_cached = run_cost("gpt-4.1", 1_000, 1_000, 0)
    assert run_cost("gpt-4.1", 1_000, 5_000, 0).usd == all_cached.usd


def test_the_users_prices_win_over_the_table_and_charge_cached_input_as_input():
    cost = run_cost("gpt-4o", 2 * MILLION, MILLION, MILLION // 2, price_in=3.0, price_out=12.0)
    assert cost.source == "override"
    assert cost.usd == pytest.approx(2 * 3.0 + 0.5 * 12.0)
    assert (cost.prices.input, cost.prices.cached_input, cost.prices.output) == (3.0, 3.0, 12.0)


def test_the_users_prices_price_a_local_model():
    cost = run_cost("llama3.1", 400_000, 0, 100_000, price_in=0.2, price_out=0.8)
    assert cost.usd == pytest.approx(0.08 + 0.08)
    assert cost.describe() == "cost $0.1600"


@pytest.mark.parametrize(("price_in", "price_out"), [(1.0, None), (None, 2.0)])
def test_half_a_price_override_is_refused(price_in, price_out):
    with pytest.raises(ConfigError, match="both --price-in and --price-out"):
        run_cost("gpt-4o", 1, 0, 1, price_in=price_in, price_out=price_out)


@pytest.mark.parametrize(("model", "prices"), [("gpt-4o-mini", {}), ("llama3.1", {"price_in": 1, "price_out": 4})])
def test_a_batch_run_costs_the_batch_discount_less(model, prices):
    standard = run_cost(model, 300_000, 100_000, 50_000, **prices)
    batch = run_cost(model, 300_000, 100_000, 50_000, batch=True, **prices)
    assert batch.usd == pytest.approx(standard.usd * (1 - price_table().batch_discount))
    assert batch.batch and batch.describe().endswith("(batch)")


def test_an_unknown_model_stays_unknown_in_a_batch():
    assert run_cost("llama3.1", 10, 0, 10, batch=True).usd is None


@pytest.mark.parametrize(("usd", "shown"), [(0.0123456, "$0.0123"), (0.0, "$0.0000"), (0.00004, "<$0.0001"),
                                            (12.5, "$12.5000")])  # fmt: skip
def test_costs_are_shown_to_a_hundredth_of_a_cent(usd, shown):
    assert format_usd(usd) == shown


# --- stored with the run ---------------------------------------------------------------


def _fake_extraction(calls_per_article: list[CallRecord]):
    def extract(article, *_options):
        return ArticleExtractionResult(article, calls=[CallRecord(**vars(c)) for c in calls_per_article])

    return extract


def _call(input_tokens: int, cached: int | None, output_tokens: int) -> CallRecord:
    return CallRecord(
        purpose="extract",
        model="gpt-4o-mini",
        attempt=1,
        started_at="2025-01-01T00:00:00",
        input_tokens=input_tokens,
        cached_tokens=cached,
        output_tokens=output_tokens,
    )


def _run(db_path, monkeypatch, model: str, calls: list[CallRecord], **prices):
    monkeypatch.setattr(pipeline, "extract_article", _fake_extraction(calls))
    db = store.open_db(db_path)
    client = ModelClient(ModelSettings(model=model, api_key="not-used"))
    articles = read_articles([seed_path("001"), seed_path("003")])
    report = pipeline.run_extraction(db, articles, client, concurrency=2, **prices)
    (run,) = query(db_path, "SELECT * FROM runs WHERE id = ?", [report.run_id])
    return report, run


def test_a_run_stores_its_cached_tokens_and_its_cost_at_the_tables_prices(db_path, monkeypatch):
    # Two articles, each a first call (nothing cached) and a re-ask whose prompt prefix was cached.
    report, run = _run(db_path, monkeypatch, "gpt-4o-mini", [_call(3_000, None, 500), _call(3_200, 2_048, 400)])
    assert (run["input_tokens"], run["cached_tokens"], run["output_tokens"]) == (12_400, 4_096, 1_800)
    prices = price_table().models["gpt-4o-mini"]
    expected = ((12_400 - 4_096) * prices.input + 4_096 * prices.cached_input + 1_800 * prices.output) / MILLION
    assert run["cost_usd"] == pytest.approx(expected)
    assert report.cost.usd == pytest.approx(expected)
    assert (run["price_source"], run["price_in"], run["price_cached_in"], run["price_out"], run["price_batch"]) == (
        "table",
        prices.input,
        prices.cached_input,
        prices.output,
        0,
    )


def test_a_run_stores_the_users_prices(db_path, monkeypatch):
    _, run = _run(db_path, monkeypatch, "llama3.1", [_call(MILLION, 0, MILLION // 4)], price_in=0.5, price_out=2.0)
    assert run["cost_usd"] == pytest.approx(2 * (0.5 + 0.25 * 2.0))
    assert (run["price_source"], run["price_in"], run["price_out"]) == ("override", 0.5, 2.0)


def test_a_run_of_a_model_without_a_price_stores_an_unknown_cost_not_zero(db_path, monkeypatch):
    _, run = _run(db_path, monkeypatch, "llama3.1", [_call(1_000, None, 100)])
    assert run["input_tokens"] == 2_000
    assert (run["cost_usd"], run["price_source"], run["price_in"]) == (None, "unknown", None)


def test_runs_from_before_the_cost_columns_keep_their_rows_unpriced(db_path):
    from sqlite_utils import Database

    old = Database(db_path)
    migrations.migrations.apply(old, stop_before="m010_run_costs")
    old["runs"].insert({"command": "extract", "started_at": "2024-01-01", "status": "completed", "input_tokens": 9})
    old.close()
    db = store.open_db(db_path)
    (run,) = db.query("SELECT input_tokens, cached_tokens, cost_usd, price_source FROM runs")
    assert run == {"input_tokens": 9, "cached_tokens": 0, "cost_usd": None, "price_source": None}


# --- the command -----------------------------------------------------------------------


def test_extract_shows_and_stores_the_cost_at_the_users_prices(reference_url, db_path):
    args = ["extract", seed_path("001"), "--db", db_path, "--base-url", reference_url, "--model", "reference"]
    result = invoke([*args, "--price-in", "2.5", "--price-out", "10", "--no-crosscheck", "--silent"])
    assert result.exit_code == 0, result.output
    (run,) = query(db_path, "SELECT * FROM runs WHERE command = 'extract'")
    expected = (run["input_tokens"] * 2.5 + run["output_tokens"] * 10) / MILLION
    assert run["input_tokens"] > 0 and run["cost_usd"] == pytest.approx(expected)
    assert run["price_source"] == "override"
    assert f"output tokens; cost ${expected:.4f}. Database:" in result.stderr


def test_extract_says_the_cost_is_unknown_for_a_local_model(reference_url, db_path):
    args = ["extract", seed_path("001"), "--db", db_path, "--base-url", reference_url, "--model", "reference"]
    result = invoke([*args, "--no-crosscheck", "--silent"])
    assert result.exit_code == 0, result.output
    assert "cost unknown (no price for model reference; pass --price-in/--price-out)" in result.stderr
    assert query(db_path, "SELECT cost_usd, price_source FROM runs") == [{"cost_usd": None, "price_source": "unknown"}]


def test_half_a_price_override_is_refused_before_anything_is_stored(db_path):
    args = ["extract", seed_path("001"), "--db", db_path, "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    result = invoke([*args, "--price-in", "1"])
    assert result.exit_code == 2
    assert "Pass both --price-in and --price-out" in result.output
    assert not db_path.exists()


def test_a_negative_price_is_refused(db_path):
    args = ["extract", seed_path("001"), "--db", db_path, "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    result = invoke([*args, "--price-in", "-1", "--price-out", "1"])
    assert result.exit_code == 2 and not db_path.exists()


def test_the_price_table_prices_only_calls_to_openai():
    assert run_cost("gpt-4o-mini", MILLION, 0, 0, base_url="https://api.openai.com/v1").source == "table"
    local = run_cost("gpt-4o-mini", MILLION, 0, 0, base_url="http://127.0.0.1:8000/v1")
    assert (local.source, local.usd) == ("unknown", None)
    priced = run_cost("gpt-4o-mini", MILLION, 0, 0, base_url="http://127.0.0.1:8000/v1", price_in=1.0, price_out=2.0)
    assert priced.usd == 1.0
