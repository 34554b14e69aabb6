"""Ranking metrics with binary relevance, averaged over customers by the caller."""

import math


def ndcg_at_k(ranked: list, truth: set, k: int = 10) -> float:
    """DCG of the hits in the top k over the DCG of a perfect list (min(|truth|, k) hits)."""
    if not truth:
        return 0.0
    dcg = sum(1.0 / math.log2(position + 2) for position, item in enumerate(ranked[:k]) if item in truth)
    ideal = sum(1.0 / math.log2(position + 2) for position in range(min(len(truth), k)))
    return dcg / ideal


def hit_rate_at_k(ranked: list, truth: set, k: int = 10) -> float:
    return 1.0 if any(item in truth for item in ranked[:k]) else 0.0


def recall_at_k(ranked: list, truth: set, k: int = 20) -> float:
    if not truth:
        return 0.0
    return sum(1 for item in ranked[:k] if item in truth) / len(truth)
