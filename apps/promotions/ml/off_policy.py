"""What a targeting policy would have earned, estimated from a log of randomised sends, without
running it: inverse propensity (IPS), self-normalised IPS (SNIPS) and doubly robust (DR), each with
a bootstrap 95% interval.

Notation: row i was logged with arm a_i, drawn with known probability e_i = P(a_i | x_i) (1/3 in a
three-arm test with equal shares), and outcome y_i. The target policy gives each row a probability
pi_ik of every arm k (a deterministic policy puts 1 on its arm). With w_i = pi_{i,a_i} / e_i:

- IPS  = mean(w_i y_i): unbiased when the propensities are right, noisy when weights are large.
- SNIPS = sum(w_i y_i) / sum(w_i): divides by the weights' own total, which removes the noise of
  how many rows happen to agree with the policy; slightly biased, usually much steadier.
- DR   = mean(sum_k pi_ik m_ik + w_i (y_i - m_{i,a_i})), with m_ik a model's expected outcome of row i
  under arm k: the model's prediction for the policy, corrected by the weighted residual. Unbiased
  if either the propensities or the model are right, and its variance shrinks as the model improves.
  The model must not have seen the rows it predicts: pass predictions from another half of the data,
  or let `doubly_robust` cross-fit one (multi_treatment.cross_fitted_outcomes).

Every estimator is a ratio sum(numerator_i) / sum(denominator_i) of per-row terms (the denominator
is 1 per row except for SNIPS), so one bootstrap routine serves all three, and a difference between
two policies is bootstrapped on the same resampled rows (paired), which is far narrower than two
separate intervals when the policies agree on most customers. Intervals are percentile intervals
of `n_boot` resamples of rows drawn by a fixed seed; the outcome model is held fixed across resamples.
"""

from dataclasses import dataclass

import numpy as np

from apps.promotions.ml.multi_treatment import MultiArmOutcomeModel, cross_fitted_outcomes

IPS, SNIPS, DR = "ips", "snips", "dr"


@dataclass(frozen=True)
class PolicyValue:
    """An estimate with its bootstrap 95% interval (low, high)."""

    method: str
    estimate: float
    low: float
    high: float
    n: int

    def as_dict(self, digits: int = 5) -> dict:
        return {
            "estimate": round(self.estimate, digits),
            "low": round(self.low, digits),
            "high": round(self.high, digits),
        }


def policy_matrix(policy, n_arms: int) -> np.ndarray:
    """(n, K) arm probabilities from either an (n, K) matrix or an arm index per row."""
    policy = np.asarray(policy)
    if policy.ndim == 2:
        return policy.astype(float)
    matrix = np.zeros((len(policy), n_arms))
    matrix[np.arange(len(policy)), policy.astype(int)] = 1.0
    return matrix


def logged_propensity(arm, propensity, n_arms: int) -> np.ndarray:
    """Probability that each row's logged arm was chosen: from a number (the same for every row),
    a vector (one per row) or an (n, K) matrix."""
    arm = np.asarray(arm, dtype=int)
    propensity = np.asarray(propensity, dtype=float)
    if propensity.ndim == 0:
        return np.full(len(arm), float(propensity))
    if propensity.ndim == 2:
        return propensity[np.arange(len(arm)), arm]
    return propensity


def estimator_terms(arm, y, propensity, policy, *, method: str, outcomes=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-row numerator and denominator of an estimator (see the module docstring)."""
    arm, y = np.asarray(arm, dtype=int), np.asarray(y, dtype=float)
    n_arms = int(max(arm.max() + 1, np.asarray(policy).shape[1] if np.asarray(policy).ndim == 2 else 0))
    if outcomes is not None:
        n_arms = max(n_arms, np.asarray(outcomes).shape[1])
    pi = policy_matrix(policy, n_arms)
    rows = np.arange(len(arm))
    weight = pi[rows, arm] / logged_propensity(arm, propensity, n_arms)
    if method == IPS:
        return weight * y, np.ones(len(arm))
    if method == SNIPS:
        return weight * y, weight
    if method == DR:
        if outcomes is None:
            raise ValueError("DR needs outcome predictions")
        outcomes = np.asarray(outcomes, dtype=float)
        return (pi * outcomes).sum(axis=1) + weight * (y - outcomes[rows, arm]), np.ones(len(arm))
    raise ValueError(f"unknown method {method!r}")


def bootstrap_ratio(
    numerators: list[np.ndarray], denominators: list[np.ndarray], signs: list[float], *, n_boot: int, seed: int
) -> tuple[float, float, float]:
    """Point estimate and percentile 95% interval of sum_j sign_j * sum(num_j) / sum(den_j), every
    term computed on the same resampled rows."""

    def combine(index=None):
        total = 0.0
        for num, den, sign in zip(numerators, denominators, signs, strict=True):
            n, d = (num.sum(), den.sum()) if index is None else (num[index].sum(), den[index].sum())
            total += sign * (n / d if d else 0.0)
        return total

    estimate = combine()
    if n_boot <= 0:
        return estimate, estimate, estimate
    rng = np.random.default_rng(seed)
    n = len(numerators[0])
    draws = np.array([combine(rng.integers(0, n, n)) for _ in range(n_boot)])
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(estimate), float(low), float(high)


def policy_value(
    method: str, arm, y, propensity, policy, outcomes=None, *, n_boot: int = 1000, seed: int = 0
) -> PolicyValue:
    """One estimator (IPS, SNIPS or DR) of `policy`'s value with its bootstrap interval."""
    num, den = estimator_terms(arm, y, propensity, policy, method=method, outcomes=outcomes)
    estimate, low, high = bootstrap_ratio([num], [den], [1.0], n_boot=n_boot, seed=seed)
    return PolicyValue(method, estimate, low, high, len(num))


def ips(arm, y, propensity, policy, *, n_boot: int = 1000, seed: int = 0) -> PolicyValue:
    return policy_value(IPS, arm, y, propensity, policy, n_boot=n_boot, seed=seed)


def snips(arm, y, propensity, policy, *, n_boot: int = 1000, seed: int = 0) -> PolicyValue:
    return policy_value(SNIPS, arm, y, propensity, policy, n_boot=n_boot, seed=seed)


def doubly_robust(
    arm,
    y,
    propensity,
    policy,
    *,
    outcomes=None,
    X=None,
    model: MultiArmOutcomeModel | None = None,
    n_folds: int = 5,
    n_boot: int = 1000,
    seed: int = 0,
) -> PolicyValue:
    """DR with `outcomes` (n, K) supplied, or cross-fitted here from X with `model` (a default
    MultiArmOutcomeModel when None)."""
    if outcomes is None:
        if X is None:
            raise ValueError("pass outcomes, or X to cross-fit an outcome model")
        n_arms = policy_matrix(policy, int(np.asarray(arm).max()) + 1).shape[1]
        outcomes = cross_fitted_outcomes(
            model or MultiArmOutcomeModel(), X, arm, y, n_arms=n_arms, n_folds=n_folds, random_state=seed
        )
    return policy_value(DR, arm, y, propensity, policy, outcomes, n_boot=n_boot, seed=seed)


def policy_difference(
    arm, y, propensity, policy, baseline, *, method: str = IPS, outcomes=None, n_boot: int = 1000, seed: int = 0
) -> PolicyValue:
    """Value of `policy` minus value of `baseline`, with a paired bootstrap interval."""
    num_a, den_a = estimator_terms(arm, y, propensity, policy, method=method, outcomes=outcomes)
    num_b, den_b = estimator_terms(arm, y, propensity, baseline, method=method, outcomes=outcomes)
    estimate, low, high = bootstrap_ratio([num_a, num_b], [den_a, den_b], [1.0, -1.0], n_boot=n_boot, seed=seed)
    return PolicyValue(method, estimate, low, high, len(num_a))
