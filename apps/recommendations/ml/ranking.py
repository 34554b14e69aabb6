"""Top-k selection from a dense score matrix, leaving out what must not be shown."""

import numpy as np
from scipy import sparse


def top_k(scores: np.ndarray, k: int, *, exclude: sparse.csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(column indices, scores) of the k best scores per row, best first. Excluded cells
    score -inf, so they come last and the caller drops them. Ties go to the lower column
    index, so results are deterministic."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    if exclude is not None:
        rows, cols = exclude.nonzero()
        scores[rows, cols] = -np.inf
    k = min(k, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)
