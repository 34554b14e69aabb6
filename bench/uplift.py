"""Benchmark: uplift models on the Hillstrom e-mail experiment (MineThatData, 2008), the product's
selected model beside scikit-learn meta-learners measured in the same run.

Protocol: Womens E-Mail against No E-Mail (42,693 customers), outcome `visit`; features recency,
history, mens, womens, newbie, zip_code and channel one-hot, history_segment as its ordinal
(apps/promotions/ml/campaign_log.py: hillstrom_log). A 50/50 split stratified on treatment and
outcome with seed BENCH_SEED (default 42). The product chooses its model on the train half only
(5-fold cross-fitting, apps/promotions/ml/uplift_selection.py) and every candidate is then scored
on the test half: uplift@30%, Qini coefficient, AUUC (scikit-uplift's definitions), plus the test
half's ATE and the selected model's bootstrap 95% intervals.

Peers, fitted on the same train half: a T-learner with scikit-learn's GradientBoostingRegressor
per arm and an S-learner with a GradientBoostingClassifier (default settings), and the 95th
percentile of uplift@30% over random orderings of the test half (what chance reaches).
Target: the selected model beats both peers on the test half, uplift@30% above the better
peer's and Qini above the better peer's (the issue measured 0.081 and 0.068).

    .venv/bin/python bench/uplift.py            # prints one JSON line; about a minute on 2 cores
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor  # noqa: E402

from apps.promotions.ml.campaign_log import hillstrom_log, load_hillstrom  # noqa: E402
from apps.promotions.ml.uplift_metrics import (  # noqa: E402
    qini_auc_score,
    random_uplift_at_k_quantile,
    uplift_at_k,
    uplift_auc_score,
)
from apps.promotions.ml.uplift_models import SLearner, TLearner  # noqa: E402
from apps.promotions.ml.uplift_selection import evaluate_uplift, split_halves  # noqa: E402

DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))
SEED = int(os.environ.get("BENCH_SEED", 42))


def rounded(value: float) -> float:
    return round(float(value), 4)


def peers(X, t, y, train, test, seed):
    models = {
        "t_learner_gbr": TLearner(GradientBoostingRegressor(random_state=seed)),
        "s_learner_gbc": SLearner(GradientBoostingClassifier(random_state=seed)),
    }
    figures = {}
    for name, model in models.items():
        predicted = model.fit(X[train], t[train], y[train]).predict_uplift(X[test])
        figures[name] = {
            "uplift_at_30": rounded(uplift_at_k(y[test], predicted, t[test], k=0.3)),
            "qini": rounded(qini_auc_score(y[test], predicted, t[test])),
            "auuc": rounded(uplift_auc_score(y[test], predicted, t[test])),
        }
    return figures


def three_arm(frame, seed):
    """The three-arm section (men's and women's e-mail against none), from policy_evaluation."""
    from apps.promotions.ml.policy_evaluation import learned_policy_report

    log = hillstrom_log(frame, treatments=("Mens E-Mail", "Womens E-Mail"))
    return learned_policy_report(log, seed=seed)


def main():
    started = time.perf_counter()
    frame = load_hillstrom(DATA / "hillstrom" / "hillstrom.csv.gz")
    log = hillstrom_log(frame)
    X, t, y = log.features.to_numpy(), log.treated(), log.outcome

    def progress(message):
        print(message, file=sys.stderr, flush=True)

    report = evaluate_uplift(X, t, y, seed=SEED, report=progress)
    selected_seconds = time.perf_counter() - started
    train, test = split_halves(t, y, seed=SEED)
    peer_figures = peers(X, t, y, train, test, SEED)
    chosen = report.models[report.selected]
    best_peer_uplift = max(p["uplift_at_30"] for p in peer_figures.values())
    best_peer_qini = max(p["qini"] for p in peer_figures.values())
    result = {
        "bench": "uplift",
        "protocol": "hillstrom womens e-mail vs none, visit, 50/50 split stratified on (treatment, visit)",
        "seed": SEED,
        "n_train": report.n_train,
        "n_test": report.n_test,
        "ate": rounded(report.ate),
        "selected": report.selected,
        "selection_reason": report.selection.reason,
        "selected_uplift_at_30": rounded(chosen.uplift_at_30),
        "selected_qini": rounded(chosen.qini),
        "selected_uplift_at_30_ci95": [
            rounded(report.uplift_at_30_interval.low),
            rounded(report.uplift_at_30_interval.high),
        ],
        "selected_qini_ci95": [rounded(report.qini_interval.low), rounded(report.qini_interval.high)],
        "models": {
            name: {"uplift_at_30": rounded(s.uplift_at_30), "qini": rounded(s.qini), "auuc": rounded(s.auuc)}
            for name, s in report.models.items()
        },
        "cross_fit": {
            name: {"qini": rounded(s.qini), "uplift_at_30": rounded(s.uplift_at_30)}
            for name, s in report.selection.cross_fit.items()
        },
        "peers": peer_figures,
        "random_uplift_at_30_p95": rounded(random_uplift_at_k_quantile(y[test], t[test], k=0.3, random_state=SEED)),
        "uplift_at_30_ratio_to_best_peer": rounded(chosen.uplift_at_30 / best_peer_uplift),
        "qini_ratio_to_best_peer": rounded(chosen.qini / best_peer_qini),
        "target_met": bool(chosen.uplift_at_30 > best_peer_uplift and chosen.qini > best_peer_qini),
        "selection_seconds": round(selected_seconds, 1),
    }
    # The three-arm policy on the same seed (bench/offer_policy.py repeats it over seeds, with the simulator).
    result["three_arm"] = three_arm(frame, SEED).as_dict()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
