"""Treatment against control for the results page: the difference in a rate (conversion) or a mean
(revenue per customer) with its 95% confidence interval. Normal approximations with unpooled
variances (Welch for means), which is what an experiment report is read with; for a rate with
groups this large the approximation is close to exact, and for tiny groups the interval is wide and
says so. Relative lift is the difference over the control's value (None when the control is 0)."""

import math
from dataclasses import dataclass

import numpy as np

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Lift:
    treatment: float
    control: float
    difference: float
    low: float
    high: float
    relative: float | None
    treatment_size: int
    control_size: int

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def rate_lift(*, treatment_hits: int, treatment_size: int, control_hits: int, control_size: int) -> Lift | None:
    """Difference in proportions, Wald interval. None when either group is empty."""
    if treatment_size <= 0 or control_size <= 0:
        return None
    p_t, p_c = treatment_hits / treatment_size, control_hits / control_size
    se = math.sqrt(p_t * (1 - p_t) / treatment_size + p_c * (1 - p_c) / control_size)
    return _lift(p_t, p_c, se, treatment_size, control_size)


def mean_lift(treatment: np.ndarray, control: np.ndarray) -> Lift | None:
    """Difference in means, Welch standard error. None when either group has under two values."""
    treatment, control = np.asarray(treatment, dtype=float), np.asarray(control, dtype=float)
    if len(treatment) < 2 or len(control) < 2:
        return None
    se = math.sqrt(treatment.var(ddof=1) / len(treatment) + control.var(ddof=1) / len(control))
    return _lift(float(treatment.mean()), float(control.mean()), se, len(treatment), len(control))


def _lift(treated: float, control: float, se: float, n_t: int, n_c: int) -> Lift:
    difference = treated - control
    return Lift(
        treatment=treated,
        control=control,
        difference=difference,
        low=difference - Z_95 * se,
        high=difference + Z_95 * se,
        relative=difference / control if control else None,
        treatment_size=n_t,
        control_size=n_c,
    )
