"""RFM on five customers small enough to score by hand."""

import datetime as dt

import pandas as pd
import pytest

from apps.segments.ml.rfm import quintile_scores, rfm_table

UTC = dt.UTC


def events(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "placed_at", "amount"])
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True)
    return frame


FIVE_CUSTOMERS = events(
    [
        (1, 101, "2011-01-01", 10.0),
        (1, 102, "2011-01-20", 30.0),
        (2, 103, "2011-01-05", 5.0),
        (3, 104, "2011-01-25", 100.0),
        (3, 105, "2011-01-26", 1.0),
        (3, 106, "2011-01-27", 1.0),
        (4, 107, "2011-01-10", 20.0),
        (5, 108, "2011-01-30", 50.0),
        (5, 109, "2011-01-30", 50.0),
    ]
)


def test_quintiles_split_five_values_into_scores_one_to_five():
    assert quintile_scores(pd.Series([40, 5, 102, 20, 100])).tolist() == [3, 1, 5, 2, 4]
    # Ties are broken by order of appearance, so the groups stay equal in size.
    assert quintile_scores(pd.Series([1, 1, 1, 1, 1])).tolist() == [1, 2, 3, 4, 5]
    assert quintile_scores(pd.Series([7, 3, 9]), higher_is_better=False).tolist() == [4, 5, 2]


def test_rfm_table_scores_and_names_each_customer():
    table = rfm_table(FIVE_CUSTOMERS, as_of=dt.datetime(2011, 2, 1, tzinfo=UTC)).set_index("customer_id")

    assert table["recency_days"].to_dict() == {1: 12, 2: 27, 3: 5, 4: 22, 5: 2}
    assert table["frequency"].to_dict() == {1: 2, 2: 1, 3: 3, 4: 1, 5: 2}
    assert table["monetary"].to_dict() == {1: 40.0, 2: 5.0, 3: 102.0, 4: 20.0, 5: 100.0}
    assert table["r"].to_dict() == {1: 3, 2: 1, 3: 4, 4: 2, 5: 5}
    assert table["f"].to_dict() == {1: 3, 2: 1, 3: 5, 4: 2, 5: 4}
    assert table["m"].to_dict() == {1: 3, 2: 1, 3: 5, 4: 2, 5: 4}
    assert table["segment"].to_dict() == {
        1: "loyal",
        2: "hibernating",
        3: "champions",
        4: "hibernating",
        5: "champions",
    }


@pytest.mark.parametrize("as_of_day, expected", [(1, 12), (2, 13)])
def test_recency_counts_whole_days_to_the_as_of_moment(as_of_day, expected):
    table = rfm_table(FIVE_CUSTOMERS, as_of=dt.datetime(2011, 2, as_of_day, tzinfo=UTC))

    assert table.set_index("customer_id").loc[1, "recency_days"] == expected


def test_no_events_give_an_empty_table():
    assert rfm_table(events([]), as_of=dt.datetime(2011, 2, 1, tzinfo=UTC)).empty
