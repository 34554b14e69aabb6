"""Which offer, if any, to send each customer when several offers compete for one budget.

The problem. For customer i and offer k we know (from an uplift model) the expected incremental
conversions u_ik, and the offer has a margin per conversion v_k, a cost per send s_k and a cost per
redemption r_k. Sending costs c_ik = s_k + r_k * p_ik (p_ik: expected redemptions, which include the
customers who would have bought anyway; without it p_ik = u_ik), and earns the net incremental margin
g_ik = v_k * u_ik - c_ik. Each customer gets at most one offer or none (gain 0, cost 0), and the total
expected cost must stay within the budget B: a multiple-choice knapsack.

The method: greedy on the convex hulls (Sinha & Zoltners, 1979). For each customer, the options worth
considering lie on the upper convex hull of the points (cost, gain) starting at "none" = (0, 0); an
option below the hull is never chosen by any budget multiplier. Walking a customer's hull from left
to right gives upgrade steps with strictly decreasing gain per cost. Taking all customers' steps in
decreasing order of gain per cost, and a fraction of the first step that no longer fits, solves the
linear relaxation exactly; its gain is reported as `upper_bound`, and the slope of that step is the
budget's Lagrange multiplier (the shadow price of one more unit of budget: for every multiplier
lambda the Lagrangian choice argmax_k g_ik - lambda c_ik is exactly the hull prefix at that slope).
The integer answer takes the steps that fit whole; a customer whose next step does not fit stays at
their current option and the walk carries on with the others, so money left over is still spent.
The answer is within one step's gain of the relaxation (the gap is reported), which on many
customers is negligible; it is not always the integer optimum (the tests show a case).

Costs must be non-negative; options with no positive net gain are never sent. With budget=None every
customer simply gets their best option with a positive net gain.
"""

from dataclasses import dataclass

import numpy as np

NO_OFFER = -1


@dataclass(frozen=True)
class Allocation:
    """choice: offer index per customer, NO_OFFER (-1) for none. Expected figures are sums over
    customers of the chosen options: cost, incremental conversions, incremental value (margin before
    costs) and net gain (value minus cost). per_offer: customers per offer. upper_bound: the linear
    relaxation's net gain (no integer allocation can beat it); multiplier: the budget's shadow price
    (0 when the budget does not bind)."""

    choice: np.ndarray
    budget: float | None
    expected_cost: float
    expected_incremental_conversions: float
    expected_incremental_value: float
    expected_net_gain: float
    per_offer: dict[int, int]
    upper_bound: float
    multiplier: float

    @property
    def gap(self) -> float:
        return self.upper_bound - self.expected_net_gain


def _per_offer(values, n_offers: int, name: str) -> np.ndarray:
    array = np.broadcast_to(np.asarray(values, dtype=float), (n_offers,)).copy()
    if name != "value" and (array < 0).any():
        raise ValueError(f"{name} must be non-negative")
    return array


def customer_hull(costs: np.ndarray, gains: np.ndarray) -> list[tuple[float, float, int]]:
    """The upper convex hull of one customer's (cost, gain, offer) points, from none = (0, 0, -1)
    rightwards, keeping only points that add gain; collinear middle points are dropped so the
    slopes between consecutive points strictly decrease."""
    hull = [(0.0, 0.0, NO_OFFER)]
    for k in sorted(range(len(costs)), key=lambda k: (costs[k], -gains[k])):
        point = (float(costs[k]), float(gains[k]), k)
        if point[1] <= hull[-1][1]:
            continue  # costs at least as much as the last hull point and gains no more
        while len(hull) >= 2:
            (ac, ag, _), (bc, bg, _) = hull[-2], hull[-1]
            # Pop B when A->B is no steeper than B->point (cross product of the two steps >= 0).
            if (bc - ac) * (point[1] - bg) - (bg - ag) * (point[0] - bc) >= 0:
                hull.pop()
            else:
                break
        hull.append(point)
    return hull


def allocate_offers(
    incremental,
    *,
    value,
    budget: float | None,
    send_cost=0.0,
    redemption_cost=0.0,
    redemptions=None,
) -> Allocation:
    """incremental: (n, K) expected incremental conversions; value, send_cost, redemption_cost: a
    number or one per offer; redemptions: (n, K) expected redemptions if offered (defaults to
    `incremental`); budget: the most the expected cost may total, or None for no limit."""
    incremental = np.atleast_2d(np.asarray(incremental, dtype=float))
    n, n_offers = incremental.shape
    value = _per_offer(value, n_offers, "value")
    send = _per_offer(send_cost, n_offers, "send_cost")
    redeem = _per_offer(redemption_cost, n_offers, "redemption_cost")
    redemptions = incremental if redemptions is None else np.asarray(redemptions, dtype=float)
    cost = send + redeem * np.clip(redemptions, 0.0, None)
    gain = value * incremental - cost

    # Every customer's upgrade steps: (slope, customer, step number, extra cost, extra gain, offer).
    steps = []
    for i in range(n):
        hull = customer_hull(cost[i], gain[i])
        for j in range(1, len(hull)):
            (ac, ag, _), (bc, bg, offer) = hull[j - 1], hull[j]
            slope = np.inf if bc == ac else (bg - ag) / (bc - ac)
            steps.append((slope, i, j, bc - ac, bg - ag, offer))
    steps.sort(key=lambda step: (-step[0], step[1], step[2]))

    choice = np.full(n, NO_OFFER)
    remaining = np.inf if budget is None else float(budget)
    closed: set[int] = set()
    taken_gain, upper_bound, multiplier = 0.0, None, 0.0
    for slope, i, _, extra_cost, extra_gain, offer in steps:
        if i in closed:
            continue
        if extra_cost <= remaining + 1e-12:
            remaining -= extra_cost
            choice[i] = offer
            if upper_bound is None:
                taken_gain += extra_gain
            continue
        closed.add(i)
        if upper_bound is None:  # the first step that does not fit: the relaxation takes a fraction of it
            upper_bound = taken_gain + extra_gain * remaining / extra_cost
            multiplier = float(slope)

    chosen = choice != NO_OFFER
    rows, offers = np.flatnonzero(chosen), choice[chosen]
    net_gain = float(gain[rows, offers].sum())
    return Allocation(
        choice=choice,
        budget=budget,
        expected_cost=float(cost[rows, offers].sum()),
        expected_incremental_conversions=float(incremental[rows, offers].sum()),
        expected_incremental_value=float((value[offers] * incremental[rows, offers]).sum()),
        expected_net_gain=net_gain,
        per_offer={k: int((offers == k).sum()) for k in range(n_offers)},
        upper_bound=net_gain if upper_bound is None else float(upper_bound),
        multiplier=multiplier,
    )
