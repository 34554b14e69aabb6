"""top_k on rows much longer than k (the partitioned path): best first, ties to the lower column."""

import numpy as np
from scipy import sparse

from apps.recommendations.ml.ranking import top_k


def test_the_k_best_come_first_and_ties_go_to_the_lower_column():
    scores = np.array(
        [
            [1, 3, 3, 0, 3, 2, 0, 0, 0, 0, 0, 0],  # three columns tie at 3 for two places
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 4],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # all tied
        ],
        dtype=float,
    )

    order, values = top_k(scores, 2)

    assert order.tolist() == [[1, 2], [10, 11], [0, 1]]
    assert values.tolist() == [[3, 3], [5, 4], [0, 0]]


def test_excluded_cells_fall_behind_everything():
    scores = np.array([[9, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]], dtype=float)

    order, values = top_k(scores, 2, exclude=sparse.csr_matrix(([1.0], ([0], [0])), shape=(1, 12)))

    assert order.tolist() == [[2, 1]]
    assert values.tolist() == [[2, 1]]
