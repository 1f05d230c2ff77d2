"""Cost of a call from the provider entry's local price table (no download at run time)."""

from __future__ import annotations

from .base import ProviderEntry


def cost_usd(entry: ProviderEntry, input_tokens: int, output_tokens: int) -> float:
    cost = (input_tokens * entry.price_in_per_mtok + output_tokens * entry.price_out_per_mtok) / 1e6
    return round(cost, 8)
