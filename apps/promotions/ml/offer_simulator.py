"""A small weekly e-mail simulator calibrated on a real randomised log, to try sequential offer
policies (a bandit, Q-learning) before they touch customers. Deterministic under a seed.

Calibration. Customers are drawn (with replacement, by the seed) from the log's rows; each
customer's weekly visit probability under every arm, r_ik, is a multi-arm outcome model's
prediction fitted on the whole log (multi_treatment.MultiArmOutcomeModel), so the population's
mix of customers and of uplifts is the real one. On Hillstrom the arms are No E-Mail (index 0, the
control), Mens E-Mail, Womens E-Mail and the outcome is a visit.

Assumptions (none is measured by Hillstrom, which observed one send; each is a parameter):
- Weeks. The log's two-week response window is taken as one round's probability; rounds are
  independent given the state below, for `horizon` weeks.
- Fatigue: an e-mail's uplift over the control decays when mails come close together. A customer
  last mailed s weeks ago gets uplift (r_ik - r_i0) * (1 - fatigue ** s); s >= since_cap (4) and
  never mailed get the full uplift. With fatigue 0.6: 40% of the uplift a week after a mail, 64%
  after two, 78% after three. The conclusions depend on it: at fatigue 0.5 weekly mailing is closer
  to the best schedule and the myopic bandit only ties with it (Q-learning still wins).
- Recent visitors: a customer who visited last week visits this week with `revisit` times the
  probability (their need was just met). The control probability r_i0 is affected the same way.
- Cost: every e-mail sent costs `send_cost` (0.03), in visits (reward = visits - send_cost * sends).
  Not sending is free. At these settings mailing everyone the best e-mail every week still earns
  more than never mailing, so the fixed best offer is a real baseline, not a straw man.
- A customer's state is what the business would know: their segment, weeks since the last mail
  (capped at `since_cap`, which also stands for "never") and whether they visited last week.

Policies act on an Observation of the whole population at once (an array per field) and may learn
from each week's outcomes; `simulate` runs one episode and sums the reward.
"""

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from apps.promotions.ml.multi_treatment import MultiArmOutcomeModel


@dataclass(frozen=True)
class SimulatorConfig:
    horizon: int = 12
    send_cost: float = 0.03
    fatigue: float = 0.6
    revisit: float = 0.8
    since_cap: int = 4


@dataclass(frozen=True)
class Observation:
    """One week's state of every customer: segment, weeks since the last mail (1..since_cap, the
    cap also meaning never) and whether they visited last week (0/1)."""

    week: int
    segment: np.ndarray
    since: np.ndarray
    last_visit: np.ndarray


@dataclass(frozen=True)
class SimulationResult:
    """Totals of one episode, and reward per customer per week (the figure to compare policies by)."""

    total_reward: float
    visits: int
    sends: int
    reward_per_customer_week: float
    weekly_reward: list[float] = field(default_factory=list)
    sends_per_arm: dict[int, int] = field(default_factory=dict)


class Policy(Protocol):
    def act(self, observation: Observation, rng: np.random.Generator) -> np.ndarray: ...

    def learn(self, observation: Observation, arms: np.ndarray, rewards: np.ndarray, next_observation) -> None: ...


class FixedArmPolicy:
    """Send every customer the same arm every week (the control's index means send nothing)."""

    def __init__(self, arm: int):
        self.arm = arm

    def act(self, observation: Observation, rng: np.random.Generator) -> np.ndarray:
        return np.full(len(observation.segment), self.arm)

    def learn(self, observation, arms, rewards, next_observation) -> None:
        pass


class OfferSimulator:
    """response: (n, K) weekly visit probability of each customer under each arm, as if fresh;
    segments: (n,) small integers; control: the arm index that sends nothing."""

    def __init__(self, response, segments, *, control: int = 0, config: SimulatorConfig | None = None):
        self.response = np.clip(np.asarray(response, dtype=float), 0.0, 1.0)
        self.segments = np.asarray(segments, dtype=int)
        self.control = control
        self.config = config or SimulatorConfig()
        self.n_customers, self.n_arms = self.response.shape
        self.n_segments = int(self.segments.max()) + 1

    @classmethod
    def from_log(
        cls,
        X,
        arm,
        y,
        segments,
        *,
        n_customers: int,
        seed: int,
        control: int = 0,
        model: MultiArmOutcomeModel | None = None,
        config: SimulatorConfig | None = None,
    ) -> "OfferSimulator":
        """Fit `model` (default: L2 logistic per arm, C=0.05) on the log and draw `n_customers` rows."""
        X = np.asarray(X, dtype=float)
        fitted = (model or MultiArmOutcomeModel(C=0.05)).fit(X, arm, y)
        rows = np.random.default_rng(seed).integers(0, len(X), n_customers)
        return cls(fitted.predict_outcomes(X[rows]), np.asarray(segments)[rows], control=control, config=config)

    def best_fixed_arm(self) -> int:
        """The arm with the highest mean one-off reward for fresh customers (visit rate minus cost)."""
        cost = np.where(np.arange(self.n_arms) == self.control, 0.0, self.config.send_cost)
        return int((self.response.mean(axis=0) - cost).argmax())

    def initial(self) -> Observation:
        cap = self.config.since_cap
        n = self.n_customers
        return Observation(0, self.segments, np.full(n, cap), np.zeros(n, dtype=int))

    def visit_probability(self, observation: Observation, arms: np.ndarray) -> np.ndarray:
        rows = np.arange(self.n_customers)
        base = self.response[:, self.control]
        never = observation.since >= self.config.since_cap
        recovery = np.where(never, 1.0, 1.0 - self.config.fatigue ** observation.since.astype(float))
        p = base + recovery * (self.response[rows, arms] - base)
        p = np.where(observation.last_visit == 1, p * self.config.revisit, p)
        return np.clip(p, 0.0, 1.0)

    def step(self, observation: Observation, arms: np.ndarray, rng: np.random.Generator):
        """Send `arms` (one per customer); returns (visits 0/1, rewards, next observation)."""
        arms = np.asarray(arms, dtype=int)
        sent = arms != self.control
        visits = (rng.random(self.n_customers) < self.visit_probability(observation, arms)).astype(int)
        rewards = visits - self.config.send_cost * sent
        since = np.where(sent, 1, np.minimum(observation.since + 1, self.config.since_cap))
        return visits, rewards, Observation(observation.week + 1, self.segments, since, visits)

    def simulate(self, policy: Policy, *, seed: int, learn: bool = True) -> SimulationResult:
        """One episode of `horizon` weeks. The customers' responses and the policy's own draws use
        separate streams of the seed, so two policies face the same luck where they act alike."""
        world, choices = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        observation = self.initial()
        weekly, visits_total, sends = [], 0, np.zeros(self.n_arms, dtype=int)
        for _ in range(self.config.horizon):
            arms = np.asarray(policy.act(observation, choices), dtype=int)
            visits, rewards, following = self.step(observation, arms, world)
            if learn:
                policy.learn(observation, arms, rewards, following)
            weekly.append(float(rewards.sum()))
            visits_total += int(visits.sum())
            sends += np.bincount(arms, minlength=self.n_arms)
            observation = following
        total = float(sum(weekly))
        sends[self.control] = 0
        return SimulationResult(
            total_reward=total,
            visits=visits_total,
            sends=int(sends.sum()),
            reward_per_customer_week=total / (self.n_customers * self.config.horizon),
            weekly_reward=weekly,
            sends_per_arm={k: int(sends[k]) for k in range(self.n_arms) if k != self.control},
        )


def hillstrom_segments(features) -> np.ndarray:
    """Six segments from Hillstrom's features: what the customer bought before (men's only,
    women's only, both) times newbie, numbered 0..5."""
    mens = np.asarray(features["mens"], dtype=int)
    womens = np.asarray(features["womens"], dtype=int)
    newbie = np.asarray(features["newbie"], dtype=int)
    bought = np.where(mens & womens, 2, np.where(womens == 1, 1, 0))
    return bought * 2 + newbie
