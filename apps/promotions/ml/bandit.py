"""A contextual Thompson-sampling bandit that chooses which offer (or none) to send, learning from
each response as it arrives: no retraining, a few counters per context and arm.

The model. A response (a visit, a redemption) is a Bernoulli draw with an unknown rate theta_ck for
context c (a segment, a segment and the weeks since the last mail, any string) and arm k. Each
rate has a Beta posterior from its successes S_ck and failures F_ck. To choose, draw one theta per
arm from its posterior and take the arm with the highest theta_ck * value_k - cost_k: the arm most
likely to be best gets chosen most often, and an arm whose rate is still uncertain keeps being
tried now and then (Thompson, 1933; Chapelle & Li, 2011).

Pooling. Many contexts are sparse. With pooled=True a context's prior is centred on the arm's
rate over all contexts, m_k = (S_k + 1) / (N_k + 2), with `prior_strength` pseudo-observations:
Beta(s m_k + S_ck, s (1 - m_k) + F_ck). A new context starts at the arm's overall rate instead of
at a flat prior, and its own data outweigh the prior after about s responses (empirical Bayes,
one level of a hierarchical Beta-Binomial). With pooled=False the prior is Beta(1, 1).

Costs. `costs` (per arm, in units of the reward) and `values` (reward per success) make the choice
budget-aware: it maximises expected value minus cost, so an arm whose uplift does not pay for its
send is dropped where it does not. The counters learn the response rate only; the costs are known.

fit_prior adds a logged history's counts (optionally down-weighted), so the bandit starts from
what the last campaign taught rather than from nothing. The state is a dict of plain numbers and
strings (to_dict / from_dict) that JSON stores as is.
"""

import numpy as np

STATE_VERSION = 1


class ThompsonBandit:
    """Beta-Bernoulli Thompson sampling per (context, arm), with an optional pooled prior. After
    any update: counts_ (context -> (K, 2) successes and failures) and arm_counts_ ((K, 2))."""

    def __init__(
        self,
        n_arms: int,
        *,
        prior_strength: float = 20.0,
        pooled: bool = True,
        costs=None,
        values=None,
    ):
        self.n_arms = n_arms
        self.prior_strength = prior_strength
        self.pooled = pooled
        self.costs = np.zeros(n_arms) if costs is None else np.asarray(costs, dtype=float)
        self.values = np.ones(n_arms) if values is None else np.asarray(values, dtype=float)
        self.counts_: dict[str, np.ndarray] = {}
        self.arm_counts_ = np.zeros((n_arms, 2))

    def _context(self, context) -> np.ndarray:
        key = str(context)
        if key not in self.counts_:
            self.counts_[key] = np.zeros((self.n_arms, 2))
        return self.counts_[key]

    def posterior(self, context) -> tuple[np.ndarray, np.ndarray]:
        """Beta parameters (alpha, beta) of every arm's rate in `context`."""
        counts = self.counts_.get(str(context), np.zeros((self.n_arms, 2)))
        if self.pooled:
            mean = (self.arm_counts_[:, 0] + 1.0) / (self.arm_counts_.sum(axis=1) + 2.0)
            prior_a, prior_b = self.prior_strength * mean, self.prior_strength * (1.0 - mean)
        else:
            prior_a = prior_b = np.ones(self.n_arms)
        return prior_a + counts[:, 0], prior_b + counts[:, 1]

    def choose(self, context, rng: np.random.Generator) -> int:
        alpha, beta = self.posterior(context)
        return int((rng.beta(alpha, beta) * self.values - self.costs).argmax())

    def choose_many(self, contexts, rng: np.random.Generator) -> np.ndarray:
        """choose() for many customers at once (one draw per customer and arm), for a weekly batch."""
        keys = [str(c) for c in contexts]
        unique = sorted(set(keys))
        params = {key: self.posterior(key) for key in unique}
        alpha = np.array([params[key][0] for key in keys]).reshape(len(keys), self.n_arms)
        beta = np.array([params[key][1] for key in keys]).reshape(len(keys), self.n_arms)
        return (rng.beta(alpha, beta) * self.values - self.costs).argmax(axis=1)

    def update(self, context, arm: int, reward: float, weight: float = 1.0) -> "ThompsonBandit":
        """One response: reward 1 (success) or 0; a fraction counts as that share of a success."""
        reward = float(reward)
        row = self._context(context)
        row[arm] += weight * np.array([reward, 1.0 - reward])
        self.arm_counts_[arm] += weight * np.array([reward, 1.0 - reward])
        return self

    def update_many(self, contexts, arms, rewards) -> "ThompsonBandit":
        """update() for a batch; counts add up, so the order of the events does not matter."""
        for context, arm, reward in zip(contexts, arms, rewards, strict=True):
            self.update(context, int(arm), reward)
        return self

    def fit_prior(self, contexts, arms, rewards, *, weight: float = 1.0) -> "ThompsonBandit":
        """Add a logged history (randomised, or at least with every arm tried in every context),
        each event counting `weight`: below 1 the log informs without outweighing fresh feedback."""
        contexts, arms, rewards = np.asarray(contexts).astype(str), np.asarray(arms, int), np.asarray(rewards, float)
        for key in np.unique(contexts):
            rows = contexts == key
            row = self._context(key)
            for k in range(self.n_arms):
                chosen = rows & (arms == k)
                successes, trials = rewards[chosen].sum(), chosen.sum()
                row[k] += weight * np.array([successes, trials - successes])
                self.arm_counts_[k] += weight * np.array([successes, trials - successes])
        return self

    def to_dict(self) -> dict:
        return {
            "version": STATE_VERSION,
            "n_arms": self.n_arms,
            "prior_strength": float(self.prior_strength),
            "pooled": bool(self.pooled),
            "costs": [float(c) for c in self.costs],
            "values": [float(v) for v in self.values],
            "arm_counts": self.arm_counts_.tolist(),
            "counts": {key: counts.tolist() for key, counts in sorted(self.counts_.items())},
        }

    @classmethod
    def from_dict(cls, state: dict) -> "ThompsonBandit":
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown bandit state version {state.get('version')!r}")
        bandit = cls(
            state["n_arms"],
            prior_strength=state["prior_strength"],
            pooled=state["pooled"],
            costs=state["costs"],
            values=state["values"],
        )
        bandit.arm_counts_ = np.array(state["arm_counts"], dtype=float)
        bandit.counts_ = {key: np.array(counts, dtype=float) for key, counts in state["counts"].items()}
        return bandit


class BanditPolicy:
    """Runs a bandit in the offer simulator: the context is the segment, the weeks since the last
    mail and whether the customer visited last week ("segment:since:visited"); the reward it learns
    from is the visit (the send cost is in the bandit's costs)."""

    def __init__(self, bandit: ThompsonBandit):
        self.bandit = bandit

    @staticmethod
    def contexts(observation) -> list[str]:
        fields = (observation.segment.tolist(), observation.since.tolist(), observation.last_visit.tolist())
        return [f"{s}:{w}:{v}" for s, w, v in zip(*fields, strict=True)]

    def act(self, observation, rng: np.random.Generator) -> np.ndarray:
        return self.bandit.choose_many(self.contexts(observation), rng)

    def learn(self, observation, arms, rewards, next_observation) -> None:
        self.bandit.update_many(self.contexts(observation), arms, next_observation.last_visit)
