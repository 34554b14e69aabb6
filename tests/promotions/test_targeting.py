"""Campaign logs stored and read back, and the targeting run that learns from them: a log where the
offer works only for customers with x = 1 ranks those customers first and plans the offer for them."""

import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from apps.core.models import TrainingRun
from apps.promotions.campaign_logs import campaign_log_data
from apps.promotions.models import CampaignLog, CampaignLogRow, CustomerUplift


def synthetic_log(rows=3000, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, rows)
    treated = rng.integers(0, 2, rows)
    # 10% buy anyway; the offer adds 40 points for x = 1 and nothing for x = 0.
    bought = rng.random(rows) < 0.1 + 0.4 * x * treated
    return pd.DataFrame(
        {
            "customer_id": [f"K{i}" for i in range(rows)],
            "x": x,
            "noise": rng.normal(size=rows).round(3),
            "group": np.where(treated == 1, "coupon", "none"),
            "bought": bought.astype(int),
        }
    )


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "campaign.csv"
    synthetic_log().to_csv(path, index=False)
    return path


def import_log(path, **extra):
    options = {"treatment_col": "group", "control": "none", "outcome_col": "bought", "customer_col": "customer_id"}
    call_command(
        "import_campaign_log", str(path), *[f"--{k.replace('_', '-')}={v}" for k, v in {**options, **extra}.items()]
    )


@pytest.mark.django_db
def test_a_log_is_stored_whole_and_read_back_as_the_models_read_it(log_file):
    import_log(log_file, name="Spring test")

    log = CampaignLog.objects.get()
    data, customers = campaign_log_data(log)
    assert (log.name, log.rows, log.arms, log.customer_column) == ("Spring test", 3000, ["coupon"], "customer_id")
    assert list(data.features.columns) == ["x", "noise"]
    assert customers.iloc[:2].tolist() == ["K0", "K1"]
    assert data.outcome.sum() == synthetic_log()["bought"].sum()


@pytest.mark.django_db
def test_bad_logs_are_refused_naming_the_column_and_store_nothing(log_file, tmp_path):
    with pytest.raises(CommandError, match="'grp'"):
        import_log(log_file, treatment_col="grp")
    with pytest.raises(CommandError, match="'nobody'"):
        import_log(log_file, control="nobody")
    with pytest.raises(CommandError, match="customer column 'id'"):
        import_log(log_file, customer_col="id")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\xff\xfe\x00\x01binary")
    with pytest.raises(CommandError, match="garbage.csv"):
        import_log(garbage)
    assert not CampaignLog.objects.exists() and not CampaignLogRow.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_targeting_ranks_the_responsive_customers_first_and_plans_their_offers(
    log_file, artifacts, capsys, staff_client
):
    import_log(log_file)
    capsys.readouterr()

    call_command("retrain", "targeting", "--sync", "--json", "--no-progress", "--param", "budget=100")

    printed = json.loads(capsys.readouterr().out)
    run = TrainingRun.objects.get(kind="targeting")
    assert (printed["status"], run.gate_passed, run.is_active) == ("succeeded", True, True)
    arm = printed["metrics"]["arms"]["coupon"]
    assert arm["models"][arm["selected"]]["qini"] > 0
    x_of = dict(zip(synthetic_log()["customer_id"], synthetic_log()["x"], strict=True))
    scores = list(
        CustomerUplift.objects.filter(run=run).order_by("-uplift").values_list("customer_key", "planned_offer")
    )
    assert len(scores) == 3000
    top = [key for key, _ in scores[:1000]]
    assert np.mean([x_of[key] for key in top]) > 0.9
    planned = [key for key, offer in scores if offer == "coupon"]
    # 0.1 per offer within a budget of 100: 1,000 offers at most, all to customers the offer moves.
    plan = printed["metrics"]["plan"]
    assert len(planned) == plan["customers_per_offer"]["coupon"] <= 1000
    assert plan["expected_cost"] <= 100
    assert np.mean([x_of[key] for key in planned]) > 0.95

    page = staff_client.get("/admin/promotions/campaignlog/targeting/").content.decode()
    assert f"Chosen: <strong>{arm['selected']}</strong>" in page
    assert f"expected cost {plan['expected_cost']}" in page
    # Before launch: the coupon is the best single option, and with no cost in the outcome the learned
    # policy keeps it for nearly everyone; both are estimated near the coupon's rate, 0.1 + 0.4 / 2.
    policy = printed["metrics"]["policy"]
    assert policy["best_arm"] == "coupon" and policy["policy_share"]["coupon"] > 0.9
    assert 0.25 < policy["best_arm_ips"]["estimate"] < 0.35
    assert policy["difference_ips"]["low"] <= 0 <= policy["difference_ips"]["high"]
    assert "Before launch: a learned policy on the held-out half" in page


@pytest.mark.django_db
def test_a_past_promotion_with_a_control_group_becomes_a_campaign_log(shop, make_promotion):
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from apps.customers.models import Customer
    from apps.orders.models import Order
    from apps.promotions.campaign_logs import CampaignLogError, campaign_log_from_promotion
    from apps.promotions.experiment import in_control_group

    start = timezone.now() - datetime.timedelta(days=5)
    promotion = make_promotion(starts_at=start, holdout_percent=Decimal("50"))
    with pytest.raises(CampaignLogError, match="holdout_percent"):
        campaign_log_from_promotion(promotion=make_promotion(name="No control"))
    people = Customer.objects.bulk_create([Customer(external_id=f"P{i}") for i in range(40)])
    for i, person in enumerate(people):
        Order.objects.create(
            invoice_no=f"a{i}",
            customer=person,
            placed_at=start - datetime.timedelta(days=i + 1),
            total_amount=Decimal(i),
        )
        if i % 4 == 0:
            Order.objects.create(invoice_no=f"b{i}", customer=person, placed_at=start + datetime.timedelta(days=1))

    log = campaign_log_from_promotion(promotion=promotion)

    data, customers = campaign_log_data(log)
    frame = pd.DataFrame({"customer": customers, "group": data.treatment, "converted": data.outcome})
    row = frame.set_index("customer").loc["online_retail:P4"]
    expected_group = (
        "control"
        if in_control_group(promotion_id=promotion.pk, customer_key="online_retail:P4", percent=50)
        else "offer"
    )
    assert (row["group"], row["converted"]) == (expected_group, 1.0)
    # C1 of the shop ordered 30 days before too: 41 customers in the population
    assert (log.rows, log.control, log.arms) == (41, "control", ["offer"])
    assert "recency_days" in data.features.columns and "spend_before" in data.features.columns
