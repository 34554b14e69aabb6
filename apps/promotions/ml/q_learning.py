"""Tabular Q-learning for the weekly offer decision, trained in the offer simulator.

Why reinforcement learning at all. A bandit chooses the best offer for this week; but a mail sent
this week also tires the customer for the next ones (offer_simulator's fatigue), so the best
sequence of sends is not a string of best single sends. Q-learning (Watkins, 1989) learns
Q(s, a), the discounted reward of sending a in state s and acting well afterwards, from simulated
transitions alone, and its greedy policy accounts for tomorrow.

The state is small and discrete so a table suffices and every entry is visited often: segment x
weeks since the last mail (1..since_cap) x visited last week, 6 x 4 x 2 = 48 states on Hillstrom,
times 3 actions. The update, for a transition (s, a, r, s'):

    Q(s, a) <- Q(s, a) + alpha * (r + gamma * max_a' Q(s', a') - Q(s, a)),   without the max at the end.

A week of the simulator yields one transition per customer, all from the same table; they are
applied as one step per (s, a) pair with the mean of their TD errors (computed from the table
before the batch), which is the single-transition update when a pair occurs once and a less noisy
one when it occurs many times. Exploration is epsilon-greedy, epsilon decaying geometrically per
episode to a floor; evaluation is greedy (epsilon 0) on fresh seeds.
"""

import numpy as np

from apps.promotions.ml.offer_simulator import Observation, OfferSimulator


class QLearningAgent:
    """Q-table of shape (n_states, n_actions), zero at first. Ties between equal Q values go to the
    lowest action index (the control when it is 0: do nothing unless something is better)."""

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        alpha: float = 0.1,
        gamma: float = 0.9,
        epsilon: float = 1.0,
        epsilon_min: float = 0.05,
        epsilon_decay: float = 0.9,
        visit_decay: bool = False,
    ):
        self.n_states = n_states
        self.n_actions = n_actions
        self.alpha = alpha
        self.gamma = gamma
        self.epsilon = epsilon
        self.epsilon_min = epsilon_min
        self.epsilon_decay = epsilon_decay
        self.visit_decay = visit_decay
        self.q_ = np.zeros((n_states, n_actions))
        self.updates_ = np.zeros((n_states, n_actions), dtype=int)

    def _rate(self, updates: np.ndarray) -> np.ndarray:
        # With visit_decay the n-th update of a pair steps by max(alpha, 1/n): a running mean at
        # first (fast and unbiased by the zero start), then a constant rate that still tracks.
        return np.maximum(self.alpha, 1.0 / updates) if self.visit_decay else np.full(updates.shape, self.alpha)

    def act(self, states, rng: np.random.Generator, *, greedy: bool = False) -> np.ndarray:
        states = np.asarray(states, dtype=int)
        actions = self.q_[states].argmax(axis=1)
        if greedy or self.epsilon <= 0:
            return actions
        explore = rng.random(len(states)) < self.epsilon
        return np.where(explore, rng.integers(0, self.n_actions, len(states)), actions)

    def update(self, state: int, action: int, reward: float, next_state: int, done: bool) -> float:
        """One transition; returns the TD error."""
        target = reward if done else reward + self.gamma * self.q_[next_state].max()
        error = target - self.q_[state, action]
        self.updates_[state, action] += 1
        self.q_[state, action] += self._rate(self.updates_[state, action]) * error
        return float(error)

    def update_batch(self, states, actions, rewards, next_states, done: bool) -> None:
        """Many transitions at once: one step per (state, action) with the mean TD error."""
        states, actions = np.asarray(states, dtype=int), np.asarray(actions, dtype=int)
        rewards = np.asarray(rewards, dtype=float)
        future = 0.0 if done else self.gamma * self.q_[np.asarray(next_states, dtype=int)].max(axis=1)
        errors = rewards + future - self.q_[states, actions]
        pair = states * self.n_actions + actions
        sums = np.bincount(pair, weights=errors, minlength=self.q_.size)
        counts = np.bincount(pair, minlength=self.q_.size)
        seen = counts > 0
        updates = self.updates_.reshape(-1)
        updates[seen] += 1
        self.q_.reshape(-1)[seen] += self._rate(updates[seen]) * sums[seen] / counts[seen]

    def decay_epsilon(self) -> None:
        self.epsilon = max(self.epsilon_min, self.epsilon * self.epsilon_decay)


def state_index(observation: Observation, since_cap: int) -> np.ndarray:
    """(segment, weeks since the last mail 1..since_cap, visited last week) as one integer."""
    return (observation.segment * since_cap + (observation.since - 1)) * 2 + observation.last_visit


def n_states(n_segments: int, since_cap: int) -> int:
    return n_segments * since_cap * 2


class QPolicy:
    """The agent as a simulator policy; learns from every week while `training` is on."""

    def __init__(self, agent: QLearningAgent, since_cap: int, *, training: bool = True):
        self.agent = agent
        self.since_cap = since_cap
        self.training = training
        self.horizon: int | None = None

    def act(self, observation: Observation, rng: np.random.Generator) -> np.ndarray:
        return self.agent.act(state_index(observation, self.since_cap), rng, greedy=not self.training)

    def learn(self, observation, arms, rewards, next_observation) -> None:
        if not self.training:
            return
        done = self.horizon is not None and next_observation.week >= self.horizon
        self.agent.update_batch(
            state_index(observation, self.since_cap),
            arms,
            rewards,
            state_index(next_observation, self.since_cap),
            done,
        )


def train_in_simulator(
    simulator: OfferSimulator, *, episodes: int = 200, seed: int = 0, **agent_params
) -> QLearningAgent:
    """A fresh agent trained for `episodes` episodes of the simulator, episode e on seed
    (seed, e), epsilon decaying after each."""
    cap = simulator.config.since_cap
    agent_params = {"alpha": 0.01, "epsilon_decay": 0.97, "visit_decay": True} | agent_params
    agent = QLearningAgent(n_states(simulator.n_segments, cap), simulator.n_arms, **agent_params)
    policy = QPolicy(agent, cap, training=True)
    policy.horizon = simulator.config.horizon
    for episode in range(episodes):
        simulator.simulate(policy, seed=seed * 100_000 + episode)
        agent.decay_epsilon()
    return agent
