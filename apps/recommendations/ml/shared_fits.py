"""One fit of a chosen model per data set, shared by everything that uses it: the family's own
measurement, the blends built from it and the learned ranker's candidate sources. On a large
catalogue an EASE fit takes a minute and a gigabyte; fitting it once instead of four times is
what keeps a retrain inside its time and memory budget."""

from collections.abc import Callable

import numpy as np

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.recommenders import Recommender


class SharedFits:
    """Fitted models by name, for the data set in hand only: asking with other data drops the
    earlier fits, so memory holds one data set's models at a time."""

    def __init__(self):
        self.data: Interactions | None = None
        self.models: dict[str, Recommender] = {}

    def fitted(self, name: str, build: Callable[[], Recommender], data: Interactions) -> Recommender:
        if data is not self.data:
            self.data, self.models = data, {}
        if name not in self.models:
            self.models[name] = build().fit(data)
        return self.models[name]


class Shared(Recommender):
    """A stand-in for a model that fits through SharedFits, so a blend or the ranker reuses the fit."""

    def __init__(self, name: str, build: Callable[[], Recommender], fits: SharedFits):
        self.name, self.build, self.fits = name, build, fits

    def fit(self, data: Interactions) -> "Shared":
        self.data = data
        self.model = self.fits.fitted(self.name, self.build, data)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.model.score(rows)
