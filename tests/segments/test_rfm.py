"""RFM on customers small enough to score by hand, and the named-segment score map."""

import pandas as pd
import pytest

from apps.segments.ml.rfm import SCORE_MAP, SEGMENTS, quintile_scores, rfm_table, segment_for


def customers(rows):
    return pd.DataFrame(rows, columns=["customer_id", "recency_days", "frequency", "monetary"])


FIVE_CUSTOMERS = customers(
    [
        (3, 5, 3, 102.0),
        (1, 12, 2, 40.0),
        (2, 27, 1, 5.0),
        (4, 22, 1, 20.0),
        (5, 2, 2, 100.0),
    ]
)


def test_quintiles_split_five_values_into_scores_one_to_five():
    assert quintile_scores(pd.Series([40, 5, 102, 20, 100])).tolist() == [3, 1, 5, 2, 4]
    # Ties are broken by order of appearance, so the groups stay equal in size.
    assert quintile_scores(pd.Series([1, 1, 1, 1, 1])).tolist() == [1, 2, 3, 4, 5]
    assert quintile_scores(pd.Series([7, 3, 9]), higher_is_better=False).tolist() == [4, 5, 2]


def test_rfm_table_scores_and_names_each_customer():
    table = rfm_table(FIVE_CUSTOMERS).set_index("customer_id")

    assert table.index.tolist() == [1, 2, 3, 4, 5]
    assert table["r"].to_dict() == {1: 3, 2: 1, 3: 4, 4: 2, 5: 5}
    assert table["f"].to_dict() == {1: 3, 2: 1, 3: 5, 4: 2, 5: 4}
    assert table["m"].to_dict() == {1: 3, 2: 1, 3: 5, 4: 2, 5: 4}
    # FM = (F + M + 1) // 2: 3, 1, 5, 2, 4; then the grid row R, column FM.
    assert table["segment"].to_dict() == {
        1: "need_attention",
        2: "lost",
        3: "champions",
        4: "about_to_sleep",
        5: "champions",
    }


@pytest.mark.parametrize(
    "r, f, m, expected",
    [
        (5, 1, 1, "new"),
        (5, 5, 4, "champions"),
        (4, 1, 2, "potential_loyalists"),  # FM rounds half up: (1 + 2 + 1) // 2 = 2
        (4, 1, 1, "promising"),
        (3, 2, 2, "need_attention"),
        (2, 5, 5, "cannot_lose_them"),
        (1, 4, 3, "at_risk"),
        (1, 3, 2, "hibernating"),
        (1, 1, 2, "lost"),
    ],
)
def test_the_score_map_names_hand_made_customers(r, f, m, expected):
    assert segment_for(r, f, m) == expected


def test_the_map_covers_every_score_and_uses_every_name():
    names = {SCORE_MAP[r][fm] for r in range(1, 6) for fm in range(1, 6)}
    assert names == set(SEGMENTS)
    assert len(SEGMENTS) == 11


def test_a_customer_who_returned_everything_gets_the_lowest_frequency_and_value():
    table = rfm_table(
        customers([(1, 3, 1, -10.0), (2, 3, 4, 50.0), (3, 60, 2, 20.0), (4, 90, 1, 5.0), (5, 1, 3, 30.0)])
    ).set_index("customer_id")

    assert (table.loc[1, "f"], table.loc[1, "m"]) == (1, 1)
    assert table.loc[1, "segment"] == SCORE_MAP[table.loc[1, "r"]][1]


def test_no_customers_give_an_empty_table():
    assert rfm_table(customers([])).empty
