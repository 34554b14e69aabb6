"""Deep clustering of customers (DEC, Xie et al. 2016, with IDEC's reconstruction term): an
autoencoder compresses the scaled model matrix into a small latent space, k-means there
gives the starting centres, and the encoder and centres are then refined together so that
each customer's soft assignment (a Student-t kernel around each centre) moves towards a
sharpened copy of itself. The reconstruction term keeps the latent space from folding up
while the clusters tighten. It can find clusters that are not round in the original space,
which k-means cannot; choose_segmentation (selection.py) keeps it only when it does better.

Cost is bounded whatever the number of customers: the network trains on at most
`train_size` fixed-seed rows for `epochs` + `refine_epochs` passes, and assigning everyone
afterwards is a numpy forward pass. On the 4,372 customers of the UCI Online Retail log the
defaults (15 + 10 epochs, batch 256) fit in about 0.35 s on one CPU thread (two threads: 0.37 s,
the layers are too small to share out); doubling the epochs took 3 s and did not separate the
clusters better. The first fit in a process also pays for importing torch (about 1 s). It does
not pay for torch._dynamo (another 1.1-1.4 s), which building a torch.optim optimiser and
torch.use_deterministic_algorithms both import: the update is _Adam below, the same arithmetic
as torch's, and on CPU the switch is not needed (see _repeatable_torch). Fixed seeds and one
torch thread make CPU runs repeatable bit for bit (on CUDA, best effort, with deterministic
algorithms switched on: kernels without a deterministic version warn instead of failing).
The trained encoder and centres are kept as numpy arrays, so predicting (and unpickling a
fitted model) needs no torch; torch is imported only inside fit, by the process that trains.
"""

from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from apps.segments.ml.kmeans import MONETARY_COLUMN, KMeansSegmenter, canonical_order, sample_rows

Report = Callable[[float, str], None]


class DeepClusterSegmenter:
    """After fit: labels_ (canonical, numbered by descending mean of `order_column` as the
    k-means labels are), k_ (clusters that kept customers; DEC can empty one), cluster_centers_
    (latent space, canonical order), history_ (loss per epoch, for the run's metrics)."""

    def __init__(
        self,
        k: int,
        latent_dim: int = 4,
        hidden: tuple[int, ...] = (32, 16),
        epochs: int = 15,
        refine_epochs: int = 10,
        batch_size: int = 256,
        learning_rate: float = 0.003,
        train_size: int = 20_000,
        alpha: float = 1.0,
        reconstruction_weight: float = 0.1,
        tolerance: float = 0.001,
        random_state: int = 0,
        device: str = "cpu",
        order_column: int = MONETARY_COLUMN,
        n_threads: int | None = 1,
    ):
        if k < 1:
            raise ValueError("k must be at least 1")
        self.k, self.latent_dim, self.hidden = k, latent_dim, tuple(hidden)
        self.epochs, self.refine_epochs, self.batch_size = epochs, refine_epochs, batch_size
        self.learning_rate, self.train_size, self.alpha = learning_rate, train_size, alpha
        self.reconstruction_weight, self.tolerance = reconstruction_weight, tolerance
        self.random_state, self.device = random_state, device
        self.order_column, self.n_threads = order_column, n_threads

    def fit(self, matrix: np.ndarray, report: Report | None = None):
        import torch

        report = report or (lambda percent, message: None)
        matrix = np.asarray(matrix, dtype=np.float32)
        device = self.device  # cpu or cuda, as the caller resolved it (apps.core.training.device)
        rows = torch.tensor(matrix[sample_rows(len(matrix), self.train_size, self.random_state)], device=device)
        rng = np.random.default_rng(self.random_state)
        self.history_: dict[str, list[float]] = {"reconstruction": [], "refinement": []}
        with _repeatable_torch(torch, self.random_state, self.n_threads, device):
            network = _autoencoder(matrix.shape[1], self.hidden, self.latent_dim).to(device)
            self._pretrain(torch, network, rows, rng, report)
            report(60, "Clustering the latent space")
            with torch.no_grad():
                latent = network.encoder(rows).cpu().numpy().astype(np.float64)
            k = min(self.k, len(np.unique(latent, axis=0)))
            initial = KMeansSegmenter(k=k, n_init=10, random_state=self.random_state, order_column=0).fit(latent)
            centres = torch.nn.Parameter(torch.tensor(initial.cluster_centers_, dtype=torch.float32, device=device))
            self._refine(torch, network, centres, rows, initial.labels_, rng, report)
            self.encoder_weights_ = [
                (layer.weight.detach().cpu().numpy().T.copy(), layer.bias.detach().cpu().numpy().copy())
                for layer in network.encoder
                if isinstance(layer, torch.nn.Linear)
            ]
            raw_centres = centres.detach().cpu().numpy()
        self.cluster_centers_ = raw_centres
        raw = self.predict(matrix)
        # Centres stored in canonical order, so that predict's argmax is the canonical label.
        mapping = canonical_order(matrix.astype(np.float64), raw, self.order_column)
        self.cluster_centers_ = np.empty_like(raw_centres)
        self.cluster_centers_[mapping] = raw_centres
        self.labels_ = mapping[raw]
        self.k_ = int(len(np.unique(self.labels_)))
        report(100, f"Deep clustering found {self.k_} clusters")
        return self

    def transform(self, matrix: np.ndarray) -> np.ndarray:
        """The latent coordinates: the trained encoder as a numpy forward pass."""
        values = np.asarray(matrix, dtype=np.float32)
        for index, (weight, bias) in enumerate(self.encoder_weights_):
            values = values @ weight + bias
            if index < len(self.encoder_weights_) - 1:
                values = np.maximum(values, 0.0)
        return values

    def soft_assignment(self, matrix: np.ndarray) -> np.ndarray:
        """Each row's Student-t membership of each cluster (rows sum to 1), canonical columns."""
        latent = self.transform(matrix)
        squared = ((latent[:, None, :] - self.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
        kernel = (1.0 + squared / self.alpha) ** (-(self.alpha + 1.0) / 2.0)
        return kernel / kernel.sum(axis=1, keepdims=True)

    def predict(self, matrix: np.ndarray, chunk: int = 100_000) -> np.ndarray:
        matrix = np.asarray(matrix, dtype=np.float32)
        labels = [
            self.soft_assignment(matrix[start : start + chunk]).argmax(axis=1) for start in range(0, len(matrix), chunk)
        ]
        return np.concatenate(labels).astype(np.int64) if labels else np.zeros(0, dtype=np.int64)

    def fit_predict(self, matrix: np.ndarray) -> np.ndarray:
        return self.fit(matrix).labels_

    def _batches(self, n_rows: int, rng: np.random.Generator):
        order = rng.permutation(n_rows)
        for start in range(0, n_rows, self.batch_size):
            yield order[start : start + self.batch_size]

    def _pretrain(self, torch, network, rows, rng, report: Report) -> None:
        optimiser = _Adam(torch, network.parameters(), lr=self.learning_rate)
        for epoch in range(self.epochs):
            total = 0.0
            for batch in self._batches(len(rows), rng):
                inputs = rows[torch.as_tensor(batch, device=rows.device)]
                loss = torch.nn.functional.mse_loss(network(inputs), inputs)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item() * len(batch)
            self.history_["reconstruction"].append(round(total / len(rows), 6))
            report(55 * (epoch + 1) / max(self.epochs, 1), f"Autoencoder epoch {epoch + 1}/{self.epochs}")

    def _refine(self, torch, network, centres, rows, labels, rng, report: Report) -> None:
        optimiser = _Adam(torch, [*network.parameters(), centres], lr=self.learning_rate)
        previous = torch.as_tensor(labels, device=rows.device)
        for epoch in range(self.refine_epochs):
            # The target is held fixed for an epoch, as in DEC: it changes only as fast as the assignments.
            with torch.no_grad():
                target = _sharpen(_student_t(network.encoder(rows), centres, self.alpha))
            current = target.argmax(dim=1)
            changed = float((current != previous).float().mean())
            previous = current
            if epoch > 0 and changed < self.tolerance:
                break
            total = 0.0
            for batch in self._batches(len(rows), rng):
                index = torch.as_tensor(batch, device=rows.device)
                inputs = rows[index]
                latent = network.encoder(inputs)
                assignment = _student_t(latent, centres, self.alpha)
                loss = torch.nn.functional.kl_div(assignment.log(), target[index], reduction="batchmean")
                loss = loss + self.reconstruction_weight * torch.nn.functional.mse_loss(network.decoder(latent), inputs)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item() * len(batch)
            self.history_["refinement"].append(round(total / len(rows), 6))
            report(60 + 35 * (epoch + 1) / max(self.refine_epochs, 1), f"Refining clusters, epoch {epoch + 1}")


def _student_t(latent, centres, alpha: float):
    squared = ((latent.unsqueeze(1) - centres.unsqueeze(0)) ** 2).sum(dim=2)
    kernel = (1.0 + squared / alpha) ** (-(alpha + 1.0) / 2.0)
    return kernel / kernel.sum(dim=1, keepdim=True)


def _sharpen(assignment):
    """DEC's target: squares the memberships (confident ones gain) and divides by each cluster's
    total, so a large cluster cannot swallow the rest."""
    weight = assignment**2 / assignment.sum(dim=0, keepdim=True)
    return weight / weight.sum(dim=1, keepdim=True)


@contextmanager
def _repeatable_torch(torch, seed: int, n_threads: int | None, device: str):
    """Seeded, deterministic torch for the duration of a fit; the process's settings and random
    state are restored afterwards, so other models in the same worker are unaffected."""
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    threads = torch.get_num_threads()
    # The CPU kernels this model uses (linear layers, ReLU, gathers, reductions) are deterministic
    # for a fixed thread count already, and the switch imports torch._dynamo (1.4 s); CUDA needs
    # it, and some CUDA kernels have no deterministic version: warn instead of failing there.
    switch = device != "cpu"
    if switch:
        torch.use_deterministic_algorithms(True, warn_only=True)
    if n_threads:
        torch.set_num_threads(n_threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        if switch:
            torch.use_deterministic_algorithms(was_deterministic, warn_only=was_warn_only)
        torch.set_num_threads(threads)


class _Adam:
    """Adam (Kingma & Ba 2015) with torch's defaults and torch.optim.Adam's element-wise arithmetic,
    so the same numbers on CPU (a test compares them bit for bit): building any torch.optim
    optimiser imports torch._dynamo, 1.1 s, three times a whole fit on the UCI customers."""

    def __init__(self, torch, parameters, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.torch, self.lr, self.betas, self.eps = torch, lr, betas, eps
        self.parameters = list(parameters)
        self.means = [torch.zeros_like(parameter) for parameter in self.parameters]
        self.squares = [torch.zeros_like(parameter) for parameter in self.parameters]
        self.steps = 0

    def zero_grad(self) -> None:
        for parameter in self.parameters:
            parameter.grad = None

    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        step_size = self.lr / (1 - beta1**self.steps)
        correction2_sqrt = (1 - beta2**self.steps) ** 0.5
        torch = self.torch
        with torch.no_grad():
            # One call per operation for all parameters (per-call overhead is most of the cost at this
            # size); a parameter without a gradient is left alone, as torch's Adam leaves it.
            live = [index for index, parameter in enumerate(self.parameters) if parameter.grad is not None]
            parameters = [self.parameters[index] for index in live]
            means, squares = [self.means[index] for index in live], [self.squares[index] for index in live]
            gradients = [parameter.grad for parameter in parameters]
            torch._foreach_lerp_(means, gradients, 1 - beta1)
            torch._foreach_mul_(squares, beta2)
            torch._foreach_addcmul_(squares, gradients, gradients, value=1 - beta2)
            denominators = torch._foreach_sqrt(squares)
            torch._foreach_div_(denominators, correction2_sqrt)
            torch._foreach_add_(denominators, self.eps)
            torch._foreach_addcdiv_(parameters, means, denominators, value=-step_size)


def _autoencoder(n_inputs: int, hidden: tuple[int, ...], latent_dim: int):
    """Mirror-image MLP: inputs -> hidden... -> latent (linear) -> ...hidden -> inputs. Built
    on the CPU under the fit's seed, so its initial weights do not depend on the device."""
    import torch

    def stack(sizes):
        layers = []
        for index, (size_in, size_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
            layers.append(torch.nn.Linear(size_in, size_out))
            if index < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    class Autoencoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = stack([n_inputs, *hidden, latent_dim])
            self.decoder = stack([latent_dim, *reversed(hidden), n_inputs])

        def forward(self, inputs):
            return self.decoder(self.encoder(inputs))

    return Autoencoder()
