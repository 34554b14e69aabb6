"""Deep clustering (autoencoder + DEC refinement) on blobs whose clusters are known: it
recovers them, repeats itself exactly under a fixed seed, leaves torch's process-wide
settings as it found them, and is compared fairly with k-means by choose_segmentation."""

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from apps.core.training.device import torch_device
from apps.segments.ml.deep import DeepClusterSegmenter
from apps.segments.ml.features import MODEL_COLUMNS
from apps.segments.ml.selection import choose_segmentation

MONETARY = MODEL_COLUMNS.index("monetary")


def blobs(size=60, seed=0):
    """Three standardised seven-column blobs, monetary centres high, middle, low (labels 0, 1, 2)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-3, 3, size=(3, len(MODEL_COLUMNS)))
    centres[:, MONETARY] = [6.0, 0.0, -6.0]
    truth = np.repeat(np.arange(3), size)
    matrix = centres[truth] + rng.normal(scale=0.3, size=(len(truth), len(MODEL_COLUMNS)))
    return (matrix - matrix.mean(axis=0)) / matrix.std(axis=0), truth


def test_deep_clustering_recovers_separated_blobs_with_canonical_labels():
    matrix, truth = blobs()
    progress = []

    model = DeepClusterSegmenter(k=3).fit(matrix, report=lambda percent, message: progress.append(percent))

    assert adjusted_rand_score(truth, model.labels_) == 1.0
    assert model.labels_.tolist() == truth.tolist()  # numbered by descending monetary, as k-means
    assert model.k_ == 3
    assert model.predict(matrix[[0, 60, 179]]).tolist() == [0, 1, 2]
    assert model.soft_assignment(matrix).sum(axis=1) == pytest.approx(np.ones(len(matrix)))
    assert progress == sorted(progress) and progress[-1] == 100
    assert len(model.history_["reconstruction"]) == model.epochs


def test_a_fixed_seed_repeats_the_fit_exactly_and_torch_settings_are_restored():
    import torch

    matrix = np.random.default_rng(5).normal(size=(300, 7))  # no structure: only the seed decides
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    random_state = torch.random.get_rng_state()

    first = DeepClusterSegmenter(k=4, epochs=5, refine_epochs=3, random_state=3).fit(matrix)
    second = DeepClusterSegmenter(k=4, epochs=5, refine_epochs=3, random_state=3).fit(matrix)

    assert np.array_equal(first.labels_, second.labels_)
    assert np.array_equal(first.cluster_centers_, second.cluster_centers_)
    assert all(
        np.array_equal(a, b) for (a, _), (b, _) in zip(first.encoder_weights_, second.encoder_weights_, strict=True)
    )
    other = DeepClusterSegmenter(k=4, epochs=5, refine_epochs=3, random_state=4).fit(matrix)
    assert not np.array_equal(first.cluster_centers_, other.cluster_centers_)
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == (threads, deterministic)
    assert torch.equal(torch.random.get_rng_state(), random_state)


def test_a_fitted_model_predicts_after_pickling_without_torch():
    matrix, truth = blobs(size=20)
    model = DeepClusterSegmenter(k=3, epochs=10, refine_epochs=3).fit(matrix)

    restored = pickle.loads(pickle.dumps(model))

    assert restored.predict(matrix).tolist() == model.labels_.tolist()


def test_importing_the_segment_models_does_not_import_torch():
    code = (
        "import sys; import apps.segments.ml.deep, apps.segments.ml.selection, apps.segments.ml.kmeans; "
        "sys.exit('torch' in sys.modules)"
    )

    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_devices():
    # One resolver for every PyTorch model; deep clustering trains where it is told.
    assert torch_device("cpu") == "cpu"
    assert torch_device("auto") in ("cpu", "cuda")
    with pytest.raises(ValueError):
        torch_device("tpu")


def test_choose_segmentation_measures_both_methods_on_the_same_rows():
    matrix, truth = blobs()
    features = pd.DataFrame({name: matrix[:, i] for i, name in enumerate(MODEL_COLUMNS)})

    choice = choose_segmentation(matrix, features, measure_all=True, n_bootstrap=2, deep_bootstrap=2)

    kmeans, deep = choice.metrics["kmeans"], choice.metrics["deep"]
    # The same partition scores the same silhouette: deep clustering gains nothing, k-means stays.
    assert deep["silhouette"] == kmeans["silhouette"]
    assert (kmeans["stability_ari_mean"], deep["stability_ari_mean"], deep["stability_ari_min"]) == (1.0, 1.0, 1.0)
    assert (choice.method, choice.k) == ("kmeans", 3)
    assert choice.labels.tolist() == truth.tolist()
    assert deep["seconds"] >= deep["fit_seconds"] > 0
    assert choice.reason.startswith("deep clustering does not separate better")


def test_the_written_out_adam_takes_the_same_steps_as_torchs():
    import torch

    from apps.segments.ml.deep import _Adam

    torch.manual_seed(0)
    inputs = torch.randn(64, 5)
    ours, theirs = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    theirs.load_state_dict(ours.state_dict())
    unused = torch.nn.Parameter(torch.ones(2))  # no gradient: left alone by both
    our_step = _Adam(torch, [*ours.parameters(), unused], lr=0.01)
    their_step = torch.optim.Adam([*theirs.parameters()], lr=0.01)
    for _ in range(20):
        for network, optimiser in ((ours, our_step), (theirs, their_step)):
            optimiser.zero_grad()
            (network(inputs) ** 2).mean().backward()
            optimiser.step()

    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)
    assert torch.equal(unused, torch.ones(2))


def test_a_cpu_fit_does_not_import_torch_dynamo():
    # torch._dynamo costs more than the fit itself (deep.py's docstring).
    code = (
        "import sys; import numpy as np; from apps.segments.ml.deep import DeepClusterSegmenter; "
        "DeepClusterSegmenter(k=2, epochs=1, refine_epochs=1).fit(np.random.default_rng(0).normal(size=(40, 7))); "
        "sys.exit('torch._dynamo' in sys.modules)"
    )

    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
