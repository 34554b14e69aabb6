"""The served family is the simplest one not surely worse than the best on validation, judged by a
paired bootstrap over the validation customers."""

import numpy as np

from apps.recommendations.ml.bootstrap import mean_interval, score_difference_interval
from apps.recommendations.ml.selection import Candidate, FamilyResult, SelectionResults, served_family


def family(name: str, all_track: list[float], new_track: list[float]) -> FamilyResult:
    per_customer = {"all": np.array(all_track), "new": np.array(new_track)}
    validation = {track: {"ndcg@10": float(np.mean(values))} for track, values in per_customer.items()}
    return FamilyResult(name, Candidate(name, name, object), validation, validation_per_customer=per_customer)


def test_a_constant_difference_has_no_spread_and_equal_models_differ_by_zero():
    ones, zeros = {"all": np.ones(50), "new": np.ones(10)}, {"all": np.zeros(50), "new": np.zeros(10)}
    positions = np.arange(10)

    # all: 1 - 0 on every draw; new: 1 - 0 on every draw -> (1 + 1) / 2.
    assert score_difference_interval(ones, zeros, positions) == (1.0, 1.0)
    assert score_difference_interval(ones, ones, positions) == (0.0, 0.0)
    # No "new" customer: the "new" track adds nothing, so the score difference is half the "all" one.
    assert score_difference_interval(ones, zeros, np.array([], dtype=int)) == (0.5, 0.5)
    assert mean_interval(np.full(7, 0.25)) == (0.25, 0.25)


def test_the_simpler_family_is_served_when_the_best_is_within_noise_of_it():
    rng = np.random.default_rng(0)
    base = rng.random(400)
    new = rng.random(100)
    results = SelectionResults(
        [
            family("popularity", list(base * 0.5), list(new * 0.5)),  # surely worse
            family("repurchase", list(base), list(new)),
            # Best on average, by one customer's worth of NDCG: not surely better than repurchase.
            family("ease", list(base + np.eye(400)[0]), list(new)),
        ],
        protocol="weeks",
        validation_new_positions=np.arange(0, 400, 4),
    )

    assert max(results, key=lambda r: r.validation_score).family == "ease"
    assert served_family(results).family == "repurchase"


def test_the_complex_family_is_served_when_it_wins_on_nearly_every_draw():
    rng = np.random.default_rng(1)
    base = rng.random(400) * 0.5
    new = rng.random(100) * 0.5
    results = SelectionResults(
        [
            family("repurchase", list(base), list(new)),
            family("repurchase+ease", list(base + 0.05), list(new + 0.05)),
        ],
        protocol="weeks",
        validation_new_positions=np.arange(0, 400, 4),
    )

    assert served_family(results).family == "repurchase+ease"
