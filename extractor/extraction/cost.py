"""What a run cost: tokens × prices per million tokens.

Prices come from `prices.toml` beside this module (list prices, dated there) or from the
user (`--price-in/--price-out`). A model with neither has no price: its cost is unknown,
never 0. Cost = (input − cached) × input price + cached × cached-input price + output ×
output price, per million tokens; the Batch API's discount applies to all three.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from extractor.errors import ConfigError

PriceSource = Literal["table", "override", "unknown"]
PER_TOKENS = 1_000_000
_SNAPSHOT_DATE = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-4o-mini-2024-07-18


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens."""

    input: float
    cached_input: float
    output: float


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    source: str
    batch_discount: float  # share of the price taken off for batch runs
    models: dict[str, Prices]


@dataclass(frozen=True)
class RunCost:
    """A run's cost and where its prices came from. `prices` are those charged, after
    the batch discount; `usd` is None when the model has no price."""

    model: str
    source: PriceSource
    usd: float | None = None
    prices: Prices | None = None
    batch: bool = False
    priced_as: str | None = None  # the table row used, e.g. gpt-4o-mini for a dated snapshot

    def describe(self, hint: bool = True) -> str:
        """`cost $0.0123`, or why it is unknown (with what to pass when `hint`)."""
        if self.usd is None:
            how = "; pass --price-in/--price-out" if hint else ""
            return f"cost unknown (no price for model {self.model}{how})"
        return f"cost {format_usd(self.usd)}" + (" (batch)" if self.batch else "")


def format_usd(usd: float) -> str:
    if 0 < usd < 0.0001:
        return "<$0.0001"
    return f"${usd:.4f}"


@lru_cache(maxsize=1)
def price_table() -> PriceTable:
    raw = tomllib.loads(resources.files("extractor.extraction").joinpath("prices.toml").read_text("utf-8"))
    models = {}
    for name, row in raw["models"].items():
        models[name] = Prices(
            input=float(row["input"]),
            cached_input=float(row.get("cached_input", row["input"])),
            output=float(row["output"]),
        )
    return PriceTable(str(raw["as_of"]), str(raw["source"]), float(raw["batch_discount"]), models)


def table_prices(model: str) -> tuple[str, Prices] | None:
    """The table row for `model`: its exact name, else its name without a snapshot date."""
    models = price_table().models
    for name in (model, _SNAPSHOT_DATE.sub("", model)):
        if name in models:
            return name, models[name]
    return None


def price_override(price_in: float | None, price_out: float | None) -> Prices | None:
    """The user's prices, or None when they gave none. Cached input is then charged as
    input: the table's cache discount belongs to the table's prices, not to theirs."""
    if price_in is None and price_out is None:
        return None
    if price_in is None or price_out is None:
        raise ConfigError("Pass both --price-in and --price-out (US dollars per million tokens), or neither.")
    if price_in < 0 or price_out < 0:
        raise ConfigError("Prices cannot be negative: --price-in and --price-out are US dollars per million tokens.")
    return Prices(input=price_in, cached_input=price_in, output=price_out)


def run_cost(
    model: str,
    input_tokens: int,
    cached_tokens: int,
    output_tokens: int,
    *,
    price_in: float | None = None,
    price_out: float | None = None,
    batch: bool = False,
    base_url: str | None = None,
) -> RunCost:
    """The cost of `input_tokens` prompt tokens (of which `cached_tokens` were served from
    the server's cache) and `output_tokens` answer tokens. The user's prices win over the
    table; `batch` takes the Batch API's discount off either. The table holds OpenAI's
    prices, so it prices only calls to OpenAI: a model of the same name served at another
    `base_url` (a proxy, a local server) has no known price."""
    prices = price_override(price_in, price_out)
    source: PriceSource = "override"
    priced_as = None
    if prices is None:
        row = table_prices(model) if not base_url or "api.openai.com" in base_url else None
        if row is None:
            return RunCost(model=model, source="unknown", batch=batch)
        (priced_as, prices), source = row, "table"
    if batch:
        keep = 1 - price_table().batch_discount
        prices = Prices(prices.input * keep, prices.cached_input * keep, prices.output * keep)
    cached = min(max(cached_tokens, 0), input_tokens)
    usd = ((input_tokens - cached) * prices.input + cached * prices.cached_input + output_tokens * prices.output) / (
        PER_TOKENS
    )
    return RunCost(model=model, source=source, usd=usd, prices=prices, batch=batch, priced_as=priced_as)
