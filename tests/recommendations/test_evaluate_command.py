"""`evaluate_recommendations` on a retailer's own interactions file."""

import json
import random

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def interactions_csv(tmp_path):
    rng = random.Random(7)
    lines = ["shopper,sku,bought_at"]
    for day in range(90):
        for shopper in rng.sample(range(40), 8):
            # Each shopper keeps to a small circle of products, with some repeat buying.
            for sku in rng.sample(range(shopper % 10 * 4, shopper % 10 * 4 + 8), 3):
                lines.append(f"u{shopper},sku-{sku},{_day(day)}")
    path = tmp_path / "interactions.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _day(day: int) -> str:
    import datetime as dt

    return (dt.datetime(2012, 1, 1, 9, tzinfo=dt.UTC) + dt.timedelta(days=day)).isoformat()


@pytest.mark.django_db
def test_every_family_is_measured_on_both_tracks(interactions_csv, capsys):
    call_command(
        "evaluate_recommendations",
        "--interactions",
        str(interactions_csv),
        "--user-col",
        "shopper",
        "--item-col",
        "sku",
        "--time-col",
        "bought_at",
        "--json",
    )

    summary = json.loads(capsys.readouterr().out)
    # The last purchase is on 2012-03-30: test weeks start 30 days earlier, at midnight (2012 is a leap year).
    assert summary["split_at"] == "2012-02-29T00:00:00+00:00"
    assert summary["valid_start"] == "2012-01-30T00:00:00+00:00"
    assert set(summary["models"]) == {"popularity", "repurchase", "item_knn", "user_knn", "ease", "repurchase+ease"}
    for family in summary["models"].values():
        assert set(family["all"]) == {
            "customers",
            "ndcg@10",
            "ndcg@10_interval",
            "recall@20",
            "hit_rate@10",
            "coverage@10",
        }
        assert 0.0 <= family["new"]["ndcg@10"] <= 1.0
        for track in ("all", "new"):
            low, high = family[track]["ndcg@10_interval"]
            assert low <= family[track]["ndcg@10"] <= high
    # The served family is the simplest one whose validation score is not surely below the best's.
    served = summary["models"][summary["served"]]
    assert served["validation_difference_to_best"][0] <= 0
    simpler = ("popularity", "repurchase", "content", "item_knn", "user_knn", "ease", "repurchase+ease")
    for family in simpler[: simpler.index(summary["served"])]:
        if family in summary["models"]:
            assert summary["models"][family]["validation_difference_to_best"][0] > 0
    assert summary["models"]["popularity"]["all"]["customers"] == summary["models"]["ease"]["all"]["customers"] > 0


@pytest.mark.django_db
def test_missing_columns_and_thin_history_are_explained(interactions_csv, tmp_path):
    with pytest.raises(CommandError, match="missing column customer"):
        call_command(
            "evaluate_recommendations",
            "--interactions",
            str(interactions_csv),
            "--user-col",
            "customer",
            "--item-col",
            "sku",
            "--time-col",
            "bought_at",
        )
    thin = tmp_path / "thin.csv"
    thin.write_text("user_id,item_id,timestamp\nu1,a,2012-01-01\nu2,b,2012-01-02\n")
    with pytest.raises(CommandError, match="too little history to measure a model"):
        call_command("evaluate_recommendations", "--interactions", str(thin))
