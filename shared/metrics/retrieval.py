"""Ranking metrics for search: recall@k and mean reciprocal rank, over queries with hand-judged relevant items."""

from __future__ import annotations


def recall_at_k(ranked: list, relevant: set, k: int) -> float:
    """The share of the relevant items found in the first k results."""
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list, relevant: set, k: int = 10) -> float:
    """1 / the rank of the first relevant result within the first k (0 when none is there)."""
    for rank, item in enumerate(ranked[:k], 1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def score_rankings(rankings: list[list], relevant: list[set], k: int = 5, mrr_depth: int = 10) -> dict:
    """Mean recall@k and MRR@mrr_depth over queries (rankings[i] answers the query whose relevant set is relevant[i])."""
    n = len(rankings)
    return {f"recall@{k}": sum(recall_at_k(r, rel, k) for r, rel in zip(rankings, relevant)) / n,
            f"mrr@{mrr_depth}": sum(reciprocal_rank(r, rel, mrr_depth) for r, rel in zip(rankings, relevant)) / n,
            "queries": n}
