"""Thompson sampling's posterior arithmetic by hand, choices under fixed seeds, one event at a
time against a logged batch, the JSON round trip, and the bandit against the fixed best offer in
a small simulator."""

import json

import numpy as np
import pytest

from apps.promotions.ml.bandit import BanditPolicy, ThompsonBandit
from apps.promotions.ml.offer_simulator import FixedArmPolicy, OfferSimulator, SimulatorConfig


def test_the_pooled_prior_centres_a_sparse_context_on_the_arms_overall_rate():
    bandit = ThompsonBandit(2, prior_strength=10.0)
    # Arm 1 over all contexts: 3 successes in 8 -> pooled mean (3 + 1) / (8 + 2) = 0.4.
    bandit.fit_prior(["a"] * 6 + ["b"] * 2, [1] * 8, [1, 1, 1, 0, 0, 0, 0, 0])

    alpha, beta = bandit.posterior("b")  # "b": arm 1 failed twice
    assert alpha[1] == pytest.approx(10 * 0.4 + 0)
    assert beta[1] == pytest.approx(10 * 0.6 + 2)
    # Arm 0 has no data anywhere: mean (0 + 1) / (0 + 2) = 0.5, prior Beta(5, 5).
    assert (alpha[0], beta[0]) == (5.0, 5.0)
    # A context never seen gets the pooled prior alone.
    flat_alpha, flat_beta = ThompsonBandit(2, pooled=False).posterior("new")
    assert flat_alpha.tolist() == flat_beta.tolist() == [1.0, 1.0]
    assert bandit.posterior("new")[0][1] == pytest.approx(4.0)


def test_one_event_at_a_time_adds_up_to_the_logged_batch():
    contexts, arms, rewards = ["x", "x", "y", "y", "y"], [0, 1, 1, 1, 0], [1, 0, 1, 1, 0]
    batch = ThompsonBandit(2).fit_prior(contexts, arms, rewards)
    online = ThompsonBandit(2)
    for context, arm, reward in zip(contexts, arms, rewards, strict=True):
        online.update(context, arm, reward)

    assert online.to_dict() == batch.to_dict()
    assert online.counts_["y"].tolist() == [[0.0, 1.0], [2.0, 0.0]]
    assert online.arm_counts_.tolist() == [[1.0, 1.0], [2.0, 1.0]]


def test_choices_follow_the_evidence_and_the_costs_under_a_fixed_seed():
    bandit = ThompsonBandit(3, pooled=False)
    bandit.fit_prior(
        ["c"] * 300, [0] * 100 + [1] * 100 + [2] * 100, [0] * 90 + [1] * 10 + [1] * 50 + [0] * 50 + [1] * 80 + [0] * 20
    )
    rng = np.random.default_rng(0)
    assert [bandit.choose("c", rng) for _ in range(20)] == [2] * 20
    # Arm 2's rate (about 0.8) does not pay a cost of 0.9; arm 1's (0.5) pays 0.2: net 0.3 > 0.1.
    costly = ThompsonBandit(3, pooled=False, costs=[0.0, 0.2, 0.9]).fit_prior(
        ["c"] * 300, [0] * 100 + [1] * 100 + [2] * 100, [0] * 90 + [1] * 10 + [1] * 50 + [0] * 50 + [1] * 80 + [0] * 20
    )
    assert [costly.choose("c", rng) for _ in range(20)] == [1] * 20
    assert costly.choose_many(["c"] * 5, rng).tolist() == [1] * 5


def test_the_state_survives_json_and_gives_the_same_choices():
    bandit = ThompsonBandit(2, prior_strength=5.0, costs=[0.0, 0.1]).fit_prior(["a", "a", "b"], [0, 1, 1], [0, 1, 0])
    restored = ThompsonBandit.from_dict(json.loads(json.dumps(bandit.to_dict())))

    assert restored.to_dict() == bandit.to_dict()
    draws = [bandit.choose(c, np.random.default_rng(7)) for c in ("a", "b", "z")]
    assert [restored.choose(c, np.random.default_rng(7)) for c in ("a", "b", "z")] == draws
    with pytest.raises(ValueError, match="version"):
        ThompsonBandit.from_dict({**bandit.to_dict(), "version": 99})


def small_simulator(n=2000, seed=0):
    """Two segments: segment 0 answers arm 1 best, segment 1 arm 2; the control visits at 0.1."""
    segments = np.random.default_rng(seed).integers(0, 2, n)
    response = np.where(segments[:, None] == 0, [0.10, 0.25, 0.14], [0.10, 0.14, 0.22])
    return OfferSimulator(response, segments, config=SimulatorConfig(horizon=12))


def test_the_bandit_beats_always_sending_the_best_single_offer():
    simulator = small_simulator()
    assert simulator.best_fixed_arm() == 1
    for seed in (0, 1):
        fixed = simulator.simulate(FixedArmPolicy(1), seed=seed)
        bandit = ThompsonBandit(3, costs=[0.0, 0.03, 0.03])
        learned = simulator.simulate(BanditPolicy(bandit), seed=seed)
        assert learned.reward_per_customer_week > fixed.reward_per_customer_week
