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
    if k == 0 or 4 * k >= scores.shape[1]:
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(scores, order, axis=1)
    # A full sort of every row costs most of a large catalogue's scoring time; partitioning finds
    # each row's k best in linear time, and only those are sorted (score, then column). A row with
    # more columns tied at its k-th score than fit is settled exactly, by lower column.
    order = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, order, axis=1)
    kth = picked.min(axis=1)
    ties_cut = (scores >= kth[:, None]).sum(axis=1) > k
    for row in np.flatnonzero(ties_cut):
        columns = np.flatnonzero(scores[row] >= kth[row])
        order[row] = columns[np.argsort(-scores[row, columns], kind="stable")[:k]]
        picked[row] = scores[row, order[row]]
    order = np.take_along_axis(order, np.lexsort((order, -picked), axis=1), axis=1)
    return order, np.take_along_axis(scores, order, axis=1)
