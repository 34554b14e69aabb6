"""Benchmark: offer targeting on Hillstrom's three-arm e-mail experiment (men's, women's, none;
outcome visit), and sequential offer policies in a simulator calibrated on it.

- Policy: learn a targeting policy on one half (seeded, stratified on arm and visit), estimate
  its visit rate by inverse propensity (1/3 by design) on the other half, beside the best single
  e-mail (chosen on the learning half: men's, 18.28% visits over the whole log) with 95% bootstrap
  intervals for both and for their difference; SNIPS and doubly robust beside them. Seeds 0, 1, 2.
  Target: the policy's IPS visit rate above the best single e-mail's (point estimates).
- Budget: on seed 0's evaluation half, expected incremental visits per e-mail from the per-arm
  model fitted on the learning half, each e-mail costing SEND_COST visits, under a budget of
  BUDGET_SENDS e-mails' cost: the allocation's expected cost, incremental visits, net gain and
  the linear-relaxation bound.
- Simulator: BENCH_SIM_CUSTOMERS customers over 12 weeks (offer_simulator's assumptions), the
  named peer being "always send the best single e-mail"; Thompson sampling (prior from the log)
  and Q-learning (trained in the simulator on other seeds, evaluated greedily) on seeds 1, 2, 3.
  Target: both above the fixed best offer's mean reward.

    .venv/bin/python bench/offer_policy.py            # prints one JSON line
"""

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.promotions.ml.bandit import BanditPolicy, ThompsonBandit  # noqa: E402
from apps.promotions.ml.campaign_log import hillstrom_log, load_hillstrom  # noqa: E402
from apps.promotions.ml.multi_treatment import MultiArmOutcomeModel  # noqa: E402
from apps.promotions.ml.offer_allocation import allocate_offers  # noqa: E402
from apps.promotions.ml.offer_simulator import FixedArmPolicy, OfferSimulator, hillstrom_segments  # noqa: E402
from apps.promotions.ml.policy_evaluation import learned_policy_report  # noqa: E402
from apps.promotions.ml.q_learning import QPolicy, train_in_simulator  # noqa: E402

DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))
SIM_CUSTOMERS = int(os.environ.get("BENCH_SIM_CUSTOMERS", 5_000))
POLICY_SEEDS = (0, 1, 2)
SIM_SEEDS = (1, 2, 3)
SEND_COST = 0.03
BUDGET_SENDS = 10_000


def policy_reports(log) -> dict:
    started = time.perf_counter()
    reports = [learned_policy_report(log, seed=seed) for seed in POLICY_SEEDS]
    first = reports[0].as_dict()
    per_seed = [
        {
            "seed": r.seed,
            "model": r.model,
            "margin": r.margin,
            "womens_share": round(r.policy_share["Womens E-Mail"], 4),
            "policy_ips": round(r.policy_ips.estimate, 5),
            "best_arm_ips": round(r.best_arm_ips.estimate, 5),
            "difference_ips": r.difference_ips.as_dict(),
            "difference_dr": r.difference_dr.as_dict(),
        }
        for r in reports
    ]
    beats = [r.policy_ips.estimate > r.best_arm_ips.estimate for r in reports]
    return {
        "seed_0": first,
        "per_seed": per_seed,
        "mean_difference_ips": round(float(np.mean([r.difference_ips.estimate for r in reports])), 5),
        "beats_best_single_email": f"{sum(beats)}/{len(beats)}",
        "met": all(beats),
        "seconds": round(time.perf_counter() - started, 1),
    }


def budget_allocation(log, arm: np.ndarray) -> dict:
    X, y = log.features.to_numpy(), log.outcome
    learn, evaluate = train_test_split(np.arange(len(y)), test_size=0.5, random_state=0, stratify=arm * 2 + (y > 0))
    model = MultiArmOutcomeModel(C=0.05).fit(X[learn], arm[learn], y[learn])
    uplift = model.predict_uplift(X[evaluate], control=0)[:, 1:]  # incremental visits of men's, women's
    allocation = allocate_offers(uplift, value=1.0, send_cost=SEND_COST, budget=BUDGET_SENDS * SEND_COST)
    return {
        "customers": len(evaluate),
        "send_cost_in_visits": SEND_COST,
        "budget": BUDGET_SENDS * SEND_COST,
        "expected_cost": round(allocation.expected_cost, 2),
        "expected_incremental_visits": round(allocation.expected_incremental_conversions, 1),
        "expected_net_gain": round(allocation.expected_net_gain, 2),
        "upper_bound": round(allocation.upper_bound, 2),
        "multiplier": round(allocation.multiplier, 3),
        "per_offer": {label: allocation.per_offer[k] for k, label in enumerate(log.arms)},
        "everyone_mens_incremental_visits": round(float(uplift[:, 0].sum()), 1),
    }


def simulator_comparison(log, arm: np.ndarray) -> dict:
    started = time.perf_counter()
    segments = hillstrom_segments(log.features)
    simulator = OfferSimulator.from_log(
        log.features.to_numpy(), arm, log.outcome, segments, n_customers=SIM_CUSTOMERS, seed=0
    )
    best = simulator.best_fixed_arm()
    cap = simulator.config.since_cap
    costs = [0.0 if k == simulator.control else simulator.config.send_cost for k in range(simulator.n_arms)]
    rewards = {"fixed_best": [], "never_send": [], "bandit": [], "q_learning": []}
    for seed in SIM_SEEDS:
        rewards["fixed_best"].append(simulator.simulate(FixedArmPolicy(best), seed=seed).reward_per_customer_week)
        rewards["never_send"].append(simulator.simulate(FixedArmPolicy(0), seed=seed).reward_per_customer_week)
        bandit = ThompsonBandit(simulator.n_arms, costs=costs)
        # The log's customers had not been mailed lately and had no visit the week before.
        bandit.fit_prior([f"{s}:{cap}:0" for s in segments], arm, log.outcome, weight=0.1)
        rewards["bandit"].append(simulator.simulate(BanditPolicy(bandit), seed=seed).reward_per_customer_week)
        agent = train_in_simulator(simulator, episodes=200, seed=1000 + seed)
        greedy = QPolicy(agent, cap, training=False)
        rewards["q_learning"].append(simulator.simulate(greedy, seed=seed).reward_per_customer_week)
    means = {name: float(np.mean(values)) for name, values in rewards.items()}
    return {
        "customers": SIM_CUSTOMERS,
        "weeks": simulator.config.horizon,
        "assumptions": {
            "send_cost": simulator.config.send_cost,
            "fatigue": simulator.config.fatigue,
            "revisit": simulator.config.revisit,
        },
        "fixed_best_arm": log.arms[best - 1] if best else log.control,
        "reward_per_customer_week": {name: [round(v, 5) for v in values] for name, values in rewards.items()},
        "mean": {name: round(value, 5) for name, value in means.items()},
        "ratio_bandit_to_fixed": round(means["bandit"] / means["fixed_best"], 4),
        "ratio_q_learning_to_fixed": round(means["q_learning"] / means["fixed_best"], 4),
        "met": all(
            agent > fixed
            for name in ("bandit", "q_learning")
            for agent, fixed in zip(rewards[name], rewards["fixed_best"], strict=True)
        ),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    started = time.perf_counter()
    log = hillstrom_log(
        load_hillstrom(DATA / "hillstrom" / "hillstrom.csv.gz"), treatments=("Mens E-Mail", "Womens E-Mail")
    )
    labels = (log.control, *log.arms)
    arm = np.array([labels.index(t) for t in log.treatment])
    figures = {
        "policy": policy_reports(log),
        "budget": budget_allocation(log, arm),
        "simulator": simulator_comparison(log, arm),
    }
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
