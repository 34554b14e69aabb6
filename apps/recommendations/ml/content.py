"""Content-based recommendations from product names (and categories): TF-IDF vectors,
cosine similarity. They reach products nobody has bought yet, which co-purchase cannot."""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.ranking import top_k
from apps.recommendations.ml.recommenders import Recommender

SIMILAR_BLOCK = 2_000


def text_vectors(texts: list[str]):
    """TF-IDF vectors of words and word pairs, one row per text, L2-normalised."""
    return TfidfVectorizer(
        lowercase=True, ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
    ).fit_transform(texts)


def text_similarity(texts: list[str]) -> np.ndarray:
    """Cosine similarity of the texts' TF-IDF vectors; zero on the diagonal."""
    if not texts:
        return np.zeros((0, 0))
    similarity = cosine_similarity(text_vectors(texts))
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
    """Yield (product_id, [(other_product_id, score), ...]) for every product with a name.
    Computed a block of products at a time: a 50,000-product catalogue's full similarity matrix
    would take 20 GB."""
    products = np.array(sorted(texts))
    if not len(products):
        return
    vectors = text_vectors([texts[p] for p in products])
    for start in range(0, len(products), SIMILAR_BLOCK):
        block = cosine_similarity(vectors[start : start + SIMILAR_BLOCK], vectors)
        block[np.arange(len(block)), np.arange(start, start + len(block))] = 0.0
        order, scores = top_k(block, length)
        for row, (others, values) in enumerate(zip(order, scores, strict=True), start=start):
            entries = [(int(products[o]), round(float(v), 6)) for o, v in zip(others, values, strict=True) if v > 0]
            if entries:
                yield int(products[row]), entries
