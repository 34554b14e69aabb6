"""The evaluate_uplift command on a small generated campaign log: no database needed."""

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from apps.promotions.ml.campaign_log import read_campaign_log
from apps.promotions.ml.uplift_metrics import average_treatment_effect
from apps.promotions.ml.uplift_selection import split_halves


def campaign_frame(rows=600, seed=0):
    rng = np.random.default_rng(seed)
    mailed = rng.integers(0, 2, rows)
    womens = rng.integers(0, 2, rows)
    visit = (rng.random(rows) < 0.1 + 0.3 * mailed * womens).astype(int)
    return pd.DataFrame(
        {
            "customer": [f"C{i:05d}" for i in range(rows)],
            "recency": rng.integers(1, 13, rows),
            "womens": womens,
            "band": rng.choice(["1) $0 - $100", "2) $100 - $200", "3) $1,000 +"], rows),
            "segment": np.where(mailed == 1, "Womens E-Mail", "No E-Mail"),
            "visit": visit,
        }
    )


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "campaign.csv.gz"
    with gzip.open(path, "wt", newline="") as handle:
        campaign_frame().to_csv(handle, index=False, lineterminator="\r\n")
    return path


def run(*arguments):
    out, err = [], []

    class Sink:
        def __init__(self, into):
            self.into = into

        def write(self, text):
            self.into.append(text)

        def flush(self):
            pass

    call_command("evaluate_uplift", *arguments, stdout=Sink(out), stderr=Sink(err))
    return "".join(out)


def test_json_report(csv_file):
    output = run(
        "--csv", str(csv_file), "--treatment-col", "segment", "--control", "No E-Mail", "--outcome-col", "visit",
        "--seed", "1", "--json",
    )  # fmt: skip
    assert len(output.strip().splitlines()) == 1
    result = json.loads(output)
    assert {"selected", "ate", "models"} <= set(result)
    assert result["selected"] in result["models"]
    for scores in result["models"].values():
        assert set(scores) >= {"uplift_at_30", "qini", "auuc"}
    assert result["dropped_columns"]["customer"].startswith("identifier-like")
    assert "band" in result["features"]
    # The ATE is the test half's difference in visit rates.
    log = read_campaign_log(campaign_frame(), treatment_col="segment", control="No E-Mail", outcome_col="visit")
    _, test = split_halves(log.treated(), log.outcome, seed=1)
    assert result["ate"] == pytest.approx(average_treatment_effect(log.outcome[test], log.treated()[test]))


def test_table_report(csv_file, tmp_path):
    plain = tmp_path / "campaign.csv"
    campaign_frame().to_csv(plain, index=False)
    output = run(
        "--csv", str(plain), "--treatment-col", "segment", "--control", "No E-Mail", "--outcome-col", "visit",
        "--feature-cols", "recency,womens",
    )  # fmt: skip
    assert "uplift@30" in output
    assert "not a feature: band: not among the named feature columns" in output


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--treatment-col", "arm", "--control", "No E-Mail", "--outcome-col", "visit"], "'arm'"),
        (["--treatment-col", "segment", "--control", "Nobody", "--outcome-col", "visit"], "'Nobody'"),
        (["--treatment-col", "segment", "--control", "No E-Mail", "--outcome-col", "band"], "'band' is not numeric"),
        (
            ["--treatment-col", "segment", "--control", "No E-Mail", "--outcome-col", "visit", "--feature-cols", "age"],
            "'age'",
        ),
    ],
)
def test_bad_arguments_name_the_column(csv_file, arguments, message):
    with pytest.raises(CommandError, match=message):
        run("--csv", str(csv_file), *arguments)


def test_bad_files(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("--csv", str(tmp_path / "missing.csv"), "--treatment-col", "a", "--control", "b", "--outcome-col", "c")
    broken = tmp_path / "broken.csv"
    broken.write_text('segment,visit\n"No E-Mail,1\n')
    with pytest.raises(CommandError, match="broken.csv"):
        run("--csv", str(broken), "--treatment-col", "segment", "--control", "No E-Mail", "--outcome-col", "visit")
