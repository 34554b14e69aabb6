"""The targeting kind on the training platform: from a campaign log (the latest, unless staff name
one), for each offer of the log, the uplift model chosen on half the log and measured on the other
half (apps.promotions.ml.uplift_selection), then refitted on the whole log to score every customer;
and, where the log names its customers, a plan giving each customer at most one offer within a
budget (apps.promotions.ml.offer_allocation), with its expected cost and incremental gain. Before
anything is launched, a policy learned on one half of the log (who gets which offer, or none) is
estimated on the other half by inverse propensity and doubly robust estimates, with intervals,
beside sending everyone the single best option (apps.promotions.ml.policy_evaluation).

The gate: at least one offer's chosen model ranks the held-out half better than a random ordering
(Qini above zero); otherwise the scores are noise and the run is refused."""

import numpy as np
import pandas as pd

from apps.core.training.trainer import Trainer, TrainingOutcome
from apps.promotions.campaign_logs import campaign_log_data
from apps.promotions.ml.offer_allocation import NO_OFFER, allocate_offers
from apps.promotions.ml.policy_evaluation import learned_policy_report
from apps.promotions.ml.uplift_selection import default_candidates, evaluate_uplift
from apps.promotions.models import CampaignLog, CustomerUplift

DEFAULTS = {
    "campaign_log": None,  # id; None: the latest log
    "seed": 0,
    # The plan, in the store's currency: what one incremental conversion earns, what one offer
    # costs to send, and the most the plan may spend (None: every customer with a positive gain).
    "value_per_conversion": 10.0,
    "cost_per_offer": 0.1,
    "budget": None,
}
PUBLISH_BATCH = 5_000


class TargetingTrainer(Trainer):
    kind = "targeting"
    serving_without_run = (
        "No uplift scores or plan: the targeting page explains how to get one; pricing and promotions work as usual."
    )
    result_models = (CustomerUplift,)

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        params = {**DEFAULTS, **parameters}
        log = _campaign_log(params["campaign_log"])
        if log is None:
            missing = params["campaign_log"]
            return TrainingOutcome(
                metrics={},
                gate_passed=False,
                gate_reason=f"Campaign log {missing} does not exist."
                if missing is not None
                else "No campaign log yet: import one (import_campaign_log) or build one from a past promotion.",
            )
        report(5, f"Reading campaign log {log.name!r} ({log.rows:,} rows)")
        data, customers = campaign_log_data(log)
        features = data.features.to_numpy(dtype=np.float64)
        binary = bool(np.isin(data.outcome, (0.0, 1.0)).all())

        arms_metrics, uplift_columns = {}, {}
        for index, arm in enumerate(data.arms):
            share = 10 + 70 * index // len(data.arms)
            report(share, f"Choosing the uplift model for {arm!r}")
            rows = (data.treatment == arm) | (data.treatment == data.control)
            treated = (data.treatment[rows] == arm).astype(np.int64)
            evaluation = evaluate_uplift(features[rows], treated, data.outcome[rows], seed=params["seed"])
            chosen = next(c for c in default_candidates(binary=binary) if c.name == evaluation.selected)
            model = chosen.make(params["seed"]).fit(features[rows], treated, data.outcome[rows])
            uplift_columns[arm] = model.predict_uplift(features)
            arms_metrics[arm] = _arm_metrics(evaluation)

        metrics = {
            "campaign_log": log.pk,
            "campaign_log_name": log.name,
            "rows": log.rows,
            "control": data.control,
            "outcome": log.outcome_column,
            "dropped_columns": data.dropped_columns,
            "arms": arms_metrics,
        }
        report(75, "Estimating a learned policy on the held-out half before launch")
        # Propensities from the arms' shares: a promotion's log holds out 10%, not a third.
        metrics["policy"] = learned_policy_report(data, seed=params["seed"], propensity="shares").as_dict()
        uplift = np.column_stack([uplift_columns[arm] for arm in data.arms])
        report(85, "Planning offers within the budget")
        allocation = allocate_offers(
            np.clip(uplift, 0.0, None),
            value=params["value_per_conversion"],
            send_cost=params["cost_per_offer"],
            budget=params["budget"],
        )
        metrics["plan"] = {
            "value_per_conversion": params["value_per_conversion"],
            "cost_per_offer": params["cost_per_offer"],
            "budget": params["budget"],
            "expected_cost": round(allocation.expected_cost, 2),
            "expected_incremental_conversions": round(allocation.expected_incremental_conversions, 2),
            "expected_net_gain": round(allocation.expected_net_gain, 2),
            "customers_per_offer": {data.arms[k]: n for k, n in allocation.per_offer.items()},
        }

        results = None
        if customers is not None:
            planned = np.array([data.arms[k] if k != NO_OFFER else "" for k in allocation.choice], dtype=object)
            results = pd.DataFrame(
                {
                    "customer_key": np.repeat(customers.to_numpy(), len(data.arms)),
                    "arm": np.tile(np.array(data.arms, dtype=object), len(customers)),
                    "uplift": uplift.reshape(-1),
                    "planned_offer": np.repeat(planned, len(data.arms)),
                }
            ).drop_duplicates(["customer_key", "arm"])

        informative = [arm for arm, m in arms_metrics.items() if m["models"][m["selected"]]["qini"] > 0]
        gate_passed = bool(informative)
        reason = (
            f"Ranks the held-out half better than random for {', '.join(informative)}."
            if gate_passed
            else "No offer's chosen model ranked the held-out half better than a random ordering (Qini <= 0)."
        )
        return TrainingOutcome(metrics=metrics, gate_passed=gate_passed, gate_reason=reason, results=results)

    def publish(self, *, run, outcome) -> None:
        frame = outcome.results
        if frame is None:
            return
        CustomerUplift.objects.bulk_create(
            (
                CustomerUplift(
                    run=run,
                    customer_key=row.customer_key,
                    arm=row.arm,
                    uplift=float(row.uplift),
                    planned_offer=row.planned_offer,
                )
                for row in frame.itertuples(index=False)
            ),
            batch_size=PUBLISH_BATCH,
        )


def _campaign_log(log_id) -> CampaignLog | None:
    logs = CampaignLog.objects.all()
    if log_id is not None:
        return logs.filter(pk=log_id).first()
    return logs.order_by("-created_at", "-pk").first()


def _arm_metrics(evaluation) -> dict:
    return {
        "selected": evaluation.selected,
        "reason": evaluation.selection.reason,
        "ate": round(evaluation.ate, 5),
        "uplift_at_30_interval": [
            round(evaluation.uplift_at_30_interval.low, 5),
            round(evaluation.uplift_at_30_interval.high, 5),
        ],
        "qini_interval": [round(evaluation.qini_interval.low, 5), round(evaluation.qini_interval.high, 5)],
        "models": {
            name: {"uplift_at_30": round(s.uplift_at_30, 5), "qini": round(s.qini, 5), "auuc": round(s.auuc, 5)}
            for name, s in evaluation.models.items()
        },
        "n_train": evaluation.n_train,
        "n_test": evaluation.n_test,
    }
