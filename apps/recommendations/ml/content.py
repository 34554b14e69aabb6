"""Content-based recommendations from product names (and categories): TF-IDF vectors,
cosine similarity. They reach products nobody has bought yet, which co-purchase cannot."""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.ranking import top_k
from apps.recommendations.ml.recommenders import Recommender


def text_similarity(texts: list[str]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors of words and word pairs; zero on the diagonal."""
    if not texts:
        return np.zeros((0, 0))
    vectors = TfidfVectorizer(
        lowercase=True, ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
    ).fit_transform(texts)
    similarity = cosine_similarity(vectors)
    np.fill_diagonal(similarity, 0.0)
    return similarity


class ContentKNN(Recommender):
    """Score = sum of the name similarities of a product to the customer's products."""

    name = "content_tfidf"

    def __init__(self, texts: dict[int, str]):
        self.texts = texts

    def fit(self, data: Interactions):
        super().fit(data)
        self.sim = text_similarity([self.texts.get(int(p), "") for p in data.products])
        self.bought = data.binary
        return self

    def score(self, rows):
        return np.asarray(self.bought[rows] @ self.sim)


def similar_products(texts: dict[int, str], *, length: int):
    """Yield (product_id, [(other_product_id, score), ...]) for every product with a name."""
    products = np.array(sorted(texts))
    similarity = text_similarity([texts[p] for p in products])
    order, scores = top_k(similarity, length)
    for row, (others, values) in enumerate(zip(order, scores, strict=True)):
        entries = [(int(products[o]), round(float(v), 6)) for o, v in zip(others, values, strict=True) if v > 0]
        if entries:
            yield int(products[row]), entries
