"""Does a learned targeting policy beat sending everyone the single best offer? The honest
protocol on one randomised multi-arm log:

1. Split the log in halves, stratified on arm and outcome, by a seed.
2. On the learning half only: the best single arm (highest mean outcome), and the policy. Each
   candidate outcome model (multi_treatment.MultiArmOutcomeModel) is cross-fitted on the learning
   half; its out-of-fold predictions give each customer's best arm, and the customer is moved off
   the best single arm only when the predicted gain exceeds a margin. Model and margin are chosen
   by the policy's cross-fitted doubly robust value on the learning half (AIPW scores, as in Athey
   & Wager's policy learning), with "no switching at all" among the choices, so a model that finds
   nothing leaves the baseline in place. The chosen model is then refitted on the whole half.
3. On the evaluation half, which played no part in any choice: the policy's and the best single
   arm's value by inverse propensity, each with a bootstrap 95% interval, and their difference with
   a paired bootstrap interval; SNIPS and doubly robust estimates beside them (DR's outcome model is
   the one fitted on the learning half, so it has not seen these rows).

Propensities are the design's (1/K for K arms of equal shares) or, with propensity="shares", the
arms' shares on the evaluation half. The margin guards against a classic failure: with weak
heterogeneity (Hillstrom's men's e-mail beats the women's for almost everyone) an argmax over noisy
predictions moves many customers for gains that are not there.
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from apps.promotions.ml.multi_treatment import MultiArmOutcomeModel, cross_fitted_outcomes
from apps.promotions.ml.off_policy import DR, IPS, SNIPS, PolicyValue, policy_difference, policy_value

DEFAULT_CANDIDATES = {"logistic_C0.05": MultiArmOutcomeModel(C=0.05), "logistic_C1": MultiArmOutcomeModel(C=1.0)}
DEFAULT_MARGINS = (0.0, 0.005, 0.01, 0.02, np.inf)


@dataclass(frozen=True)
class PolicyReport:
    """Figures of the protocol in the module docstring. arms: labels in index order (control
    first); policy_share: share of the evaluation half given each arm; learning_scores: the
    cross-fitted DR value on the learning half of every (model, margin) tried."""

    seed: int
    arms: tuple[str, ...]
    best_arm: str
    model: str
    margin: float
    policy_share: dict[str, float]
    policy_ips: PolicyValue
    best_arm_ips: PolicyValue
    difference_ips: PolicyValue
    policy_snips: PolicyValue
    policy_dr: PolicyValue
    difference_dr: PolicyValue
    n_learn: int
    n_eval: int
    learning_scores: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "seed": self.seed,
            "best_arm": self.best_arm,
            "model": self.model,
            "margin": None if np.isinf(self.margin) else self.margin,
            "policy_share": {arm: round(share, 4) for arm, share in self.policy_share.items()},
            "policy_ips": self.policy_ips.as_dict(),
            "best_arm_ips": self.best_arm_ips.as_dict(),
            "difference_ips": self.difference_ips.as_dict(),
            "policy_snips": self.policy_snips.as_dict(),
            "policy_dr": self.policy_dr.as_dict(),
            "difference_dr": self.difference_dr.as_dict(),
            "n_learn": self.n_learn,
            "n_eval": self.n_eval,
        }


def switching_policy(outcomes: np.ndarray, default_arm: int, margin: float) -> np.ndarray:
    """Each row's predicted best arm where it beats `default_arm` by more than `margin`, else the
    default arm."""
    best = outcomes.argmax(axis=1)
    gain = outcomes[np.arange(len(outcomes)), best] - outcomes[:, default_arm]
    return np.where(gain > margin, best, default_arm)


def aipw_scores(outcomes: np.ndarray, arm: np.ndarray, y: np.ndarray, propensity: np.ndarray) -> np.ndarray:
    """(n, K) doubly robust score of every row under every arm: the model's prediction plus the
    inverse-propensity-weighted residual on the logged arm."""
    scores = outcomes.copy()
    rows = np.arange(len(arm))
    scores[rows, arm] += (y - outcomes[rows, arm]) / propensity
    return scores


def learned_policy_report(
    log,
    *,
    seed: int,
    propensity: str = "design",
    candidates: dict[str, MultiArmOutcomeModel] | None = None,
    margins=DEFAULT_MARGINS,
    n_folds: int = 5,
    n_boot: int = 1000,
) -> PolicyReport:
    """The protocol of the module docstring on a CampaignLog-like object (features, treatment,
    outcome, control, arms), with any number of arms."""
    labels = (log.control, *log.arms)
    index = {label: k for k, label in enumerate(labels)}
    arm = np.array([index[t] for t in log.treatment])
    X = np.asarray(log.features, dtype=float)
    y = np.asarray(log.outcome, dtype=float)
    n_arms = len(labels)
    learn, evaluate = train_test_split(np.arange(len(y)), test_size=0.5, random_state=seed, stratify=arm * 2 + (y > 0))

    # Everything chosen below sees the learning half only.
    means = np.array([y[learn][arm[learn] == k].mean() for k in range(n_arms)])
    best = int(means.argmax())
    design = np.full(len(learn), 1.0 / n_arms)
    scores_by_choice, fitted_outcomes = {}, {}
    for name, model in (candidates or DEFAULT_CANDIDATES).items():
        oof = cross_fitted_outcomes(
            model, X[learn], arm[learn], y[learn], n_arms=n_arms, n_folds=n_folds, random_state=seed
        )
        scores = aipw_scores(oof, arm[learn], y[learn], design)
        fitted_outcomes[name] = oof
        for margin in margins:
            chosen = switching_policy(oof, best, margin)
            scores_by_choice[(name, float(margin))] = float(scores[np.arange(len(learn)), chosen].mean())
    # Ties (every margin that switches nobody scores the same) go to the larger margin: fewer moves.
    name, margin = max(scores_by_choice, key=lambda key: (scores_by_choice[key], key[1]))
    model = (candidates or DEFAULT_CANDIDATES)[name]
    fitted = clone(model).fit(X[learn], arm[learn], y[learn], n_arms=n_arms)

    eval_outcomes = fitted.predict_outcomes(X[evaluate])
    policy = switching_policy(eval_outcomes, best, margin)
    baseline = np.full(len(evaluate), best)
    a, yy = arm[evaluate], y[evaluate]
    if propensity == "design":
        p = np.full(n_arms, 1.0 / n_arms)
    elif propensity == "shares":
        p = np.bincount(a, minlength=n_arms) / len(a)
    else:
        raise ValueError(f"propensity must be 'design' or 'shares', not {propensity!r}")
    logged = p[a]
    boot = {"n_boot": n_boot, "seed": seed}
    return PolicyReport(
        seed=seed,
        arms=labels,
        best_arm=labels[best],
        model=name,
        margin=float(margin),
        policy_share={labels[k]: float((policy == k).mean()) for k in range(n_arms)},
        policy_ips=policy_value(IPS, a, yy, logged, policy, **boot),
        best_arm_ips=policy_value(IPS, a, yy, logged, baseline, **boot),
        difference_ips=policy_difference(a, yy, logged, policy, baseline, method=IPS, **boot),
        policy_snips=policy_value(SNIPS, a, yy, logged, policy, **boot),
        policy_dr=policy_value(DR, a, yy, logged, policy, eval_outcomes, **boot),
        difference_dr=policy_difference(a, yy, logged, policy, baseline, method=DR, outcomes=eval_outcomes, **boot),
        n_learn=len(learn),
        n_eval=len(evaluate),
        learning_scores={f"{key[0]}@{key[1]}": round(value, 5) for key, value in scores_by_choice.items()},
    )
