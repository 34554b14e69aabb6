"""Each recommender on a three-customer, four-product store, with scores worked by hand."""

import numpy as np
import pandas as pd
import pytest

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.recommenders import Blend, Ease, ItemKNN, Popularity, Repurchase, UserKNN, recommend

AS_OF = pd.Timestamp("2011-03-01", tz="UTC")
# customer 1: products 10, 20 (20 twice); customer 2: 10, 30; customer 3: 20, 30, 40
EVENTS = pd.DataFrame(
    [
        (1, 100, 10, "2011-02-01", "UK"),
        (1, 100, 20, "2011-02-01", "UK"),
        (1, 101, 20, "2011-02-28", "UK"),
        (2, 102, 10, "2011-01-01", "France"),
        (2, 102, 30, "2011-01-01", "France"),
        (3, 103, 20, "2011-02-10", "UK"),
        (3, 103, 30, "2011-02-10", "UK"),
        (3, 104, 40, "2011-02-20", "UK"),
    ],
    columns=["customer_id", "order_id", "product_id", "placed_at", "country"],
)
EVENTS["placed_at"] = pd.to_datetime(EVENTS["placed_at"], utc=True)


@pytest.fixture
def data():
    return Interactions.from_events(EVENTS, as_of=AS_OF)


def test_interactions_count_orders_and_ages(data):
    assert data.customers.tolist() == [1, 2, 3]
    assert data.products.tolist() == [10, 20, 30, 40]
    assert data.matrix.toarray().tolist() == [[1, 2, 0, 0], [1, 0, 1, 0], [0, 1, 1, 1]]
    # days before 2011-03-01 of the latest purchase, plus one
    assert data.last_bought.toarray().tolist() == [[29, 2, 0, 0], [60, 0, 60, 0], [0, 20, 20, 10]]
    assert data.countries.tolist() == ["UK", "France", "UK"]
    assert data.rows_for([3, 99, 1]).tolist() == [2, -1, 0]


def test_popularity_ranks_by_distinct_buyers_and_serves_unknown_customers(data):
    model = Popularity().fit(data)

    assert model.buyers.tolist() == [2, 2, 2, 1]
    assert recommend(model, [99], 3, exclude_bought=False) == [[10, 20, 30]]
    assert recommend(model, [1], 4, exclude_bought=True) == [[30, 40]]


def test_repurchase_ranks_own_products_by_decayed_frequency(data):
    model = Repurchase(half_life_days=28).fit(data)

    # customer 1: product 10 once, 28 days old -> 1 * 2^-1 = 0.5; product 20 twice, 1 day old -> 2 * 2^(-1/28)
    scores = model.score(np.array([0]))[0]
    assert scores[0] == pytest.approx(0.5, abs=1e-5)
    assert scores[1] == pytest.approx(2 * 2 ** (-1 / 28), abs=1e-5)
    assert recommend(model, [1], 4, exclude_bought=False) == [[20, 10, 30, 40]]


def test_item_knn_cosine_and_jaccard(data):
    cosine = ItemKNN("cosine").fit(data)
    jaccard = ItemKNN("jaccard").fit(data)

    # 10 and 20 share one buyer of two each: cosine 1/sqrt(2*2) = 0.5, Jaccard 1/(2+2-1) = 1/3
    assert cosine.sim[0, 1] == pytest.approx(0.5)
    assert jaccard.sim[0, 1] == pytest.approx(1 / 3)
    # 30 and 40 share one buyer; 40 has one buyer: cosine 1/sqrt(2) , Jaccard 1/2
    assert cosine.sim[2, 3] == pytest.approx(2**-0.5)
    assert jaccard.sim[2, 3] == pytest.approx(0.5)
    # customer 2 (10, 30): 20 scores 0.5 + 0.5 = 1.0, 40 scores 0 + 0.7071
    assert recommend(cosine, [2], 2, exclude_bought=True) == [[20, 40]]


def test_user_knn_takes_the_nearest_customers_products(data):
    model = UserKNN(neighbours=1).fit(data)

    # customer 2's nearest: customer 1 (cos 1/2) ties customer 3 (cos 1/sqrt(6)=0.408): customer 1 wins
    assert recommend(model, [2], 1, exclude_bought=True) == [[20]]


def test_ease_weights_match_the_closed_form(data):
    model = Ease(l2=1.0).fit(data)

    bought = data.binary.toarray()
    gram = bought.T @ bought + np.eye(4)
    inverse = np.linalg.inv(gram)
    expected = -inverse / np.diag(inverse)
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(model.weights, expected)
    assert np.allclose(np.diag(model.weights), 0.0)


def test_blend_adds_row_normalised_scores(data):
    popularity, repurchase = Popularity().fit(data), Repurchase(half_life_days=28).fit(data)
    blend = Blend([(repurchase, 1.0), (popularity, 0.5)]).fit(data)

    expected = repurchase.score(np.array([1])) / repurchase.score(np.array([1])).max() + 0.5 * np.array(
        [[1, 1, 1, 0.5]]
    )
    assert np.allclose(blend.score(np.array([1])), expected)
    assert blend.name == "blend(repurchase:1, popularity:0.5)"


def test_text_similarity_of_product_names():
    from apps.recommendations.ml.content import similar_products, text_similarity

    similarity = text_similarity(["red heart lantern", "white heart lantern", "blue teacup"])

    assert similarity[0, 2] == 0.0  # nothing in common
    assert similarity[0, 1] == pytest.approx(similarity[1, 0])
    assert 0.0 < similarity[0, 1] < 1.0
    assert np.allclose(np.diag(similarity), 0.0)
    lists = dict(similar_products({1: "red heart lantern", 2: "white heart lantern", 3: "blue teacup"}, length=2))
    assert [other for other, _ in lists[1]] == [2]
    assert 3 not in lists  # no similar product at all


def test_content_knn_recommends_by_name_to_buyers(data):
    from apps.recommendations.ml.content import ContentKNN

    texts = {10: "heart lantern red", 20: "cake tin", 30: "cake stand", 40: "heart lantern white"}
    model = ContentKNN(texts).fit(data)

    # customer 2 bought 10 (lantern) and 30 (cake stand): 40 (lantern) and 20 (cake) are related
    assert sorted(recommend(model, [2], 2, exclude_bought=True)[0]) == [20, 40]


def test_training_examples_shuffle_products_within_baskets_only():
    from apps.recommendations.ml.sequence import training_examples

    baskets = [[np.array([0, 1, 2]), np.array([3]), np.array([4, 5])]]

    examples = training_examples(baskets, np.random.default_rng(0), max_len=10)

    # history after basket 1: its three products in some order; targets are the next basket
    assert [sorted(history.tolist()) for history, _ in examples] == [[1, 2, 3], [1, 2, 3, 4]]
    assert [target.tolist() for _, target in examples] == [[3], [4, 5]]
    assert examples[1][0].tolist()[-1] == 4  # basket 2 (column 3, token 4) comes after basket 1
    truncated = training_examples(baskets, np.random.default_rng(0), max_len=2)
    assert [len(history) for history, _ in truncated] == [2, 2]


def test_sequence_model_learns_what_comes_next():
    from apps.recommendations.ml.sequence import SequenceGru

    # Forty customers buy 10, then 20, then 30, in three orders; ten more buy 40 then 50.
    rows = []
    for customer in range(40):
        for step, product in enumerate((10, 20, 30)):
            rows.append((customer, customer * 10 + step, product, f"2011-01-{step + 1:02d}", "UK"))
    for customer in range(40, 50):
        for step, product in enumerate((40, 50)):
            rows.append((customer, customer * 10 + step, product, f"2011-01-{step + 1:02d}", "UK"))
    rows.append((99, 999, 10, "2011-01-05", "UK"))  # a new customer who bought 10 once
    events = pd.DataFrame(rows, columns=["customer_id", "order_id", "product_id", "placed_at", "country"])
    events["placed_at"] = pd.to_datetime(events["placed_at"], utc=True)
    data = Interactions.from_events(events, as_of=pd.Timestamp("2011-02-01", tz="UTC"))

    model = SequenceGru(dim=16, epochs=40, negatives=4, batch_size=16, seed=0).fit(data)

    assert recommend(model, [99], 1, exclude_bought=True) == [[20]]
    assert recommend(model, [45], 1, exclude_bought=True)[0] != [40]
