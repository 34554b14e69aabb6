"""Reading a campaign log: typing, encoding and screening of columns, and errors that name the column."""

import numpy as np
import pandas as pd
import pytest

from apps.promotions.ml.campaign_log import read_campaign_log


def campaign(rows=60, seed=0):
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(rows) % 2 == 0, "mail", "none")
    return pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + rows),
            "arm": arm,
            "spend_band": rng.choice(["1) $0 - $100", "2) $100 - $200", "3) $1,000 +"], rows),
            "channel": np.resize(["web", "phone", "web"], rows),
            "region": "north",
            "recency": rng.integers(1, 13, rows),
            # Opened the e-mail: only the mailed can, so it is caused by the treatment.
            "opened": (arm == "mail").astype(int),
            "visit": rng.integers(0, 2, rows),
        }
    )


def test_columns_are_typed_encoded_and_screened():
    log = read_campaign_log(campaign(), treatment_col="arm", control="none", outcome_col="visit")

    assert list(log.features.columns) == ["spend_band", "channel=phone", "channel=web", "recency"]
    assert sorted(log.features["spend_band"].unique()) == [1.0, 2.0, 3.0]
    assert log.features["channel=phone"].tolist()[:3] == [0.0, 1.0, 0.0]
    assert log.arms == ("mail",)
    assert log.control == "none"
    assert log.treated().tolist()[:4] == [1, 0, 1, 0]
    assert log.dropped_columns["customer_id"].startswith("identifier-like")
    assert log.dropped_columns["region"].startswith("constant")
    assert log.dropped_columns["opened"].startswith("post-treatment")
    assert log.outcome.dtype == np.float64


def test_a_balanced_covariate_is_kept_and_rare_levels_are_pooled():
    frame = campaign(rows=400)
    frame["store"] = np.where(np.arange(400) < 2, "kiosk", np.resize(["a", "a", "b", "b"], 400))
    log = read_campaign_log(frame, treatment_col="arm", control="none", outcome_col="visit")
    assert {"store=a", "store=b", "store=other"} <= set(log.features.columns)
    assert log.features["store=other"].sum() == 2
    assert "recency" in log.features.columns


def test_a_downstream_outcome_is_dropped_and_named_features_are_respected():
    frame = campaign(rows=400, seed=3)
    mailed = frame["arm"] == "mail"
    frame["visit"] = ((np.arange(400) % 7 == 0) | (mailed & (np.arange(400) % 3 == 0))).astype(int)
    # Bought only after visiting, more often when mailed: rare enough that only the nesting gives it away.
    frame["bought"] = (frame["visit"].astype(bool) & mailed & (np.arange(400) % 5 == 0)).astype(int)
    log = read_campaign_log(frame, treatment_col="arm", control="none", outcome_col="visit")
    assert log.dropped_columns["bought"].startswith("post-treatment")

    named = read_campaign_log(
        frame, treatment_col="arm", control="none", outcome_col="visit", feature_cols=["recency", "channel"]
    )
    assert list(named.features.columns) == ["recency", "channel=phone", "channel=web"]
    assert named.dropped_columns["spend_band"] == "not among the named feature columns"


def test_several_arms_must_be_named():
    frame = campaign()
    frame.loc[frame.index % 4 == 1, "arm"] = "sms"
    with pytest.raises(ValueError, match="'arm' holds 2 arms"):
        read_campaign_log(frame, treatment_col="arm", control="none", outcome_col="visit")
    log = read_campaign_log(frame, treatment_col="arm", control="none", outcome_col="visit", treatments=["sms"])
    assert set(log.treatment) == {"sms", "none"}


@pytest.mark.parametrize(
    "change, arguments, message",
    [
        (None, {"outcome_col": "bought"}, "'bought'"),
        (None, {"control": "nobody"}, "control value 'nobody'"),
        (None, {"feature_cols": ["recency", "age"]}, "'age'"),
        (lambda f: f.assign(visit=np.resize(["yes", "no"], len(f))), {}, "outcome column 'visit' is not numeric"),
        (lambda f: f.iloc[:15], {}, "arm 'none' of column 'arm' has 7 rows"),
        (None, {"treatments": ["sms"]}, "treatment value 'sms'"),
    ],
)
def test_bad_input_names_the_column(change, arguments, message):
    frame = campaign() if change is None else change(campaign())
    kwargs = {"treatment_col": "arm", "control": "none", "outcome_col": "visit"} | arguments
    with pytest.raises(ValueError, match=message):
        read_campaign_log(frame, **kwargs)
