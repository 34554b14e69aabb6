"""Recommenders over an Interactions matrix. Each scores every product for a batch of
customer rows; `recommend` turns scores into ranked product ids, with cold start.

- Popularity: distinct buyers of each product.
- Repurchase ("buy it again"): the customer's own products by frequency, decayed by age.
- ItemKNN: co-purchase similarity (cosine or Jaccard) from the customer's products.
- UserKNN: products of the k most similar customers (cosine).
- EASE: a closed-form item-item linear model (Steck, 2019), ridge penalty `l2`.
- Blend: a weighted sum of row-normalised scores of other recommenders.
"""

import numpy as np
from scipy import sparse

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.ranking import top_k

BATCH = 1024


class Recommender:
    name = "base"

    def fit(self, data: Interactions) -> "Recommender":
        self.data = data
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Popularity(Recommender):
    name = "popularity"

    def fit(self, data):
        super().fit(data)
        self.buyers = np.asarray(data.binary.sum(axis=0)).ravel()
        return self

    def score(self, rows):
        return np.tile(self.buyers, (len(rows), 1)).astype(np.float64)


class Repurchase(Recommender):
    name = "repurchase"

    def __init__(self, half_life_days: float = 90.0):
        self.half_life_days = half_life_days

    def fit(self, data):
        super().fit(data)
        decayed = data.last_bought.copy()
        decayed.data = np.exp2(-(decayed.data - 1.0) / self.half_life_days)
        self.affinity = data.matrix.multiply(decayed).tocsr()
        buyers = np.asarray(data.binary.sum(axis=0)).ravel()
        # Popular products fill the list after the customer's own, in popularity order.
        self.fill = buyers / (buyers.max() + 1.0) * 1e-6 if len(buyers) else buyers
        return self

    def score(self, rows):
        return self.affinity[rows].toarray() + self.fill


class ItemKNN(Recommender):
    def __init__(self, similarity: str = "cosine"):
        if similarity not in ("cosine", "jaccard"):
            raise ValueError("similarity must be cosine or jaccard")
        self.similarity = similarity
        self.name = f"item_knn_{similarity}"

    def fit(self, data):
        super().fit(data)
        bought = data.binary
        co = (bought.T @ bought).toarray().astype(np.float64)
        degree = np.diag(co).copy()
        if self.similarity == "cosine":
            norm = np.sqrt(np.outer(degree, degree))
        else:
            norm = degree[:, None] + degree[None, :] - co
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(norm > 0, co / norm, 0.0)
        np.fill_diagonal(sim, 0.0)
        self.sim = sim
        self.bought = bought
        return self

    def score(self, rows):
        return np.asarray(self.bought[rows] @ self.sim)


class UserKNN(Recommender):
    def __init__(self, neighbours: int = 50):
        self.neighbours = neighbours
        self.name = f"user_knn_{neighbours}"

    def fit(self, data):
        super().fit(data)
        bought = data.binary
        norms = np.sqrt(np.asarray(bought.sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self.normalised = sparse.diags(1.0 / norms) @ bought
        self.bought = bought
        return self

    def score(self, rows):
        sims = np.asarray((self.normalised[rows] @ self.normalised.T).todense())
        sims[np.arange(len(rows)), rows] = 0.0  # not one's own neighbour
        k = min(self.neighbours, sims.shape[1])
        if k < sims.shape[1]:
            cut = np.argpartition(-sims, k - 1, axis=1)[:, k:]
            np.put_along_axis(sims, cut, 0.0, axis=1)
        return np.asarray(sparse.csr_matrix(sims) @ self.bought.toarray())


class Ease(Recommender):
    def __init__(self, l2: float = 200.0):
        self.l2 = l2
        self.name = f"ease_{l2:g}"

    def fit(self, data):
        super().fit(data)
        bought = data.binary
        gram = (bought.T @ bought).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)
        np.fill_diagonal(weights, 0.0)
        self.weights = weights
        self.bought = bought
        return self

    def score(self, rows):
        return np.asarray(self.bought[rows] @ self.weights)


class Blend(Recommender):
    def __init__(self, parts: list[tuple[Recommender, float]]):
        self.parts = parts
        self.name = "blend(" + ", ".join(f"{model.name}:{weight:g}" for model, weight in parts) + ")"

    def fit(self, data):
        super().fit(data)
        for model, _ in self.parts:
            if getattr(model, "data", None) is not data:
                model.fit(data)
        return self

    def score(self, rows):
        total = None
        for model, weight in self.parts:
            scores = model.score(rows)
            peak = np.abs(scores).max(axis=1, keepdims=True)
            peak[peak == 0] = 1.0
            part = weight * scores / peak
            total = part if total is None else total + part
        return total


def recommend(
    model: Recommender, customer_ids, k: int, *, exclude_bought: bool, fallback: Recommender | None = None
) -> list[list[int]]:
    """Ranked product ids per customer. Customers without history get the fallback's list
    (popularity); bought products are left out when asked."""
    data = model.data
    rows = data.rows_for(np.asarray(customer_ids))
    fallback = fallback or Popularity().fit(data)
    lists: list[list[int]] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        known = batch >= 0
        scores = np.empty((len(batch), len(data.products)))
        if known.any():
            scores[known] = model.score(batch[known])
        if (~known).any():
            scores[~known] = fallback.score(np.zeros((~known).sum(), dtype=int))
        exclude = None
        if exclude_bought:
            safe_rows = np.where(known, batch, 0)
            exclude = data.binary[safe_rows].multiply(known[:, None]).tocsr()
        order, picked = top_k(scores, k, exclude=exclude)
        for columns, values in zip(order, picked, strict=True):
            lists.append([int(data.products[c]) for c, v in zip(columns, values, strict=True) if np.isfinite(v)])
    return lists
