"""The Q-update by hand on a two-state toy, the batched update, the simulator's arithmetic, and
Q-learning against the fixed best offer in a small simulator with fixed seeds."""

import numpy as np
import pytest

from apps.promotions.ml.offer_simulator import FixedArmPolicy, Observation, OfferSimulator, SimulatorConfig
from apps.promotions.ml.q_learning import QLearningAgent, QPolicy, state_index, train_in_simulator


def test_the_q_update_by_hand_on_two_states():
    agent = QLearningAgent(2, 2, alpha=0.5, gamma=0.9)
    # Q(0,1) = 0 + 0.5 * (1 + 0.9 * max(0, 0) - 0) = 0.5.
    assert agent.update(0, 1, 1.0, 1, done=False) == 1.0
    assert agent.q_[0, 1] == 0.5
    agent.q_[1] = [2.0, 1.0]
    # Q(0,1) = 0.5 + 0.5 * (0 + 0.9 * 2 - 0.5) = 0.5 + 0.65 = 1.15.
    agent.update(0, 1, 0.0, 1, done=False)
    assert agent.q_[0, 1] == pytest.approx(1.15)
    # At the end of an episode there is no future: Q(1,0) = 2 + 0.5 * (1 - 2) = 1.5.
    agent.update(1, 0, 1.0, 0, done=True)
    assert agent.q_[1, 0] == 1.5
    assert agent.act([0, 1], np.random.default_rng(0), greedy=True).tolist() == [1, 0]


def test_a_batch_steps_once_per_pair_with_the_mean_error_and_visit_decay_starts_as_a_mean():
    agent = QLearningAgent(2, 2, alpha=0.5, gamma=0.0)
    # Pair (0, 0) seen twice with rewards 1 and 3: mean error 2, one step of 0.5 * 2 = 1.
    agent.update_batch([0, 0, 1], [0, 0, 1], [1.0, 3.0, -1.0], [1, 1, 0], done=False)
    assert agent.q_.tolist() == [[1.0, 0.0], [0.0, -0.5]]
    decaying = QLearningAgent(1, 1, alpha=0.1, gamma=0.0, visit_decay=True)
    for reward in (4.0, 2.0, 0.0):  # rates 1, 1/2, 1/3: the running mean 4, 3, 2
        decaying.update(0, 0, reward, 0, done=True)
    assert decaying.q_[0, 0] == pytest.approx(2.0)


def test_epsilon_decays_to_its_floor():
    agent = QLearningAgent(1, 2, epsilon=1.0, epsilon_decay=0.5, epsilon_min=0.2)
    for _ in range(3):
        agent.decay_epsilon()
    assert agent.epsilon == 0.2


def test_the_simulator_applies_fatigue_recent_visits_and_costs():
    simulator = OfferSimulator([[0.1, 0.5]], [0], config=SimulatorConfig(fatigue=0.5, revisit=0.8, send_cost=0.03))
    fresh = simulator.initial()
    # Never mailed: full uplift. Mailed a week ago: half of it (1 - 0.5). Visited last week: 0.8 x.
    assert simulator.visit_probability(fresh, np.array([1])).tolist() == [0.5]
    tired = Observation(1, np.array([0]), np.array([1]), np.array([1]))
    assert simulator.visit_probability(tired, np.array([1]))[0] == pytest.approx(0.8 * (0.1 + 0.5 * 0.4))
    assert simulator.visit_probability(tired, np.array([0]))[0] == pytest.approx(0.08)
    visits, rewards, following = simulator.step(fresh, np.array([1]), np.random.default_rng(0))
    assert rewards[0] == pytest.approx(visits[0] - 0.03)
    assert (following.since[0], following.last_visit[0], following.week) == (1, visits[0], 1)
    assert state_index(following, 4) == [int(visits[0])]


def small_simulator(n=2000, seed=0):
    segments = np.random.default_rng(seed).integers(0, 2, n)
    response = np.where(segments[:, None] == 0, [0.10, 0.25, 0.14], [0.10, 0.14, 0.22])
    return OfferSimulator(response, segments, config=SimulatorConfig(horizon=12))


def test_q_learning_beats_always_sending_the_best_single_offer():
    simulator = small_simulator()
    agent = train_in_simulator(simulator, episodes=150, seed=0)
    for seed in (100, 101):
        fixed = simulator.simulate(FixedArmPolicy(simulator.best_fixed_arm()), seed=seed)
        learned = simulator.simulate(QPolicy(agent, simulator.config.since_cap, training=False), seed=seed)
        assert learned.reward_per_customer_week > fixed.reward_per_customer_week
    again = train_in_simulator(simulator, episodes=150, seed=0)
    assert np.array_equal(again.q_, agent.q_)
