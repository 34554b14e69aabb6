"""A PyTorch model of each customer's purchase sequence: a GRU over the products of their
baskets, trained with a ranking loss to predict the next basket: BPR (each next-basket
product must outscore sampled products) or a listwise softmax over the whole catalogue.

Every line of an invoice carries the same timestamp, so the order of products inside a
basket means nothing; it is shuffled afresh every epoch, so the model learns the customer
and not the order the log happened to list lines in. torch is imported only here, and only
by the process that trains or scores with this model.
"""

import numpy as np

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.recommenders import Recommender


def training_examples(baskets: list[list[np.ndarray]], rng: np.random.Generator, max_len: int):
    """(history tokens, next-basket columns) for every basket after a customer's first.
    Tokens are columns + 1 (0 pads); each basket's products are shuffled by `rng`."""
    examples = []
    for customer_baskets in baskets:
        tokens: list[int] = []
        for index, basket in enumerate(customer_baskets):
            if index and tokens:
                examples.append((np.array(tokens[-max_len:]), basket))
            tokens.extend(int(column) + 1 for column in rng.permutation(basket))
    return examples


def history_tokens(baskets: list[np.ndarray], rng: np.random.Generator, max_len: int) -> np.ndarray:
    tokens = [int(column) + 1 for basket in baskets for column in rng.permutation(basket)]
    return np.array(tokens[-max_len:] or [0])


class SequenceGru(Recommender):
    def __init__(
        self,
        *,
        dim: int = 64,
        epochs: int = 6,
        negatives: int = 32,
        max_len: int = 50,
        learning_rate: float = 0.005,
        batch_size: int = 256,
        seed: int = 0,
        device: str = "cpu",
        loss: str = "bpr",
    ):
        if loss not in ("bpr", "softmax"):
            raise ValueError("loss must be bpr or softmax")
        self.loss = loss
        self.dim, self.epochs, self.negatives, self.max_len = dim, epochs, negatives, max_len
        self.learning_rate, self.batch_size, self.seed, self.device = learning_rate, batch_size, seed, device
        self.name = f"gru(dim={dim}, epochs={epochs}, loss={loss})"

    def fit(self, data: Interactions):
        import torch

        super().fit(data)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        n_items = len(data.products)
        self.network = _GruNetwork(n_items, self.dim).to(self.device)
        optimiser = torch.optim.Adam(self.network.parameters(), lr=self.learning_rate)
        self.network.train()
        for _epoch in range(self.epochs):
            examples = training_examples(data.baskets, rng, self.max_len)
            if not examples:
                break
            order = rng.permutation(len(examples))
            for start in range(0, len(order), self.batch_size):
                batch = [examples[i] for i in order[start : start + self.batch_size]]
                histories = _pad([history for history, _ in batch], self.device)
                positives = torch.tensor([int(rng.choice(target)) for _, target in batch], device=self.device)
                negatives = torch.tensor(
                    rng.integers(0, n_items, size=(len(batch), self.negatives)), device=self.device
                )
                state = self.network(histories)
                if self.loss == "softmax":
                    # Listwise: the next product must win against the whole catalogue.
                    logits = state @ self.network.item_vectors(None).T
                    loss = torch.nn.functional.cross_entropy(logits, positives)
                else:
                    positive_score = (state * self.network.item_vectors(positives)).sum(-1, keepdim=True)
                    negative_score = torch.einsum("bd,bkd->bk", state, self.network.item_vectors(negatives))
                    loss = -torch.nn.functional.logsigmoid(positive_score - negative_score).mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        self.network.eval()
        self._history_rng_seed = self.seed
        return self

    def score(self, rows):
        import torch

        rng = np.random.default_rng(self._history_rng_seed)
        histories = _pad([history_tokens(self.data.baskets[row], rng, self.max_len) for row in rows], self.device)
        with torch.no_grad():
            state = self.network(histories)
            scores = state @ self.network.item_vectors(None).T
        return scores.cpu().numpy().astype(np.float64)


def _pad(sequences, device):
    import torch

    length = max(len(s) for s in sequences)
    padded = np.zeros((len(sequences), length), dtype=np.int64)
    for index, sequence in enumerate(sequences):
        padded[index, length - len(sequence) :] = sequence  # left-padded: the last step is the latest product
    return torch.tensor(padded, device=device)


def _GruNetwork(n_items: int, dim: int):
    import torch

    class GruNetwork(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(n_items + 1, dim, padding_idx=0)
            self.gru = torch.nn.GRU(dim, dim, batch_first=True)

        def forward(self, tokens):
            output, _ = self.gru(self.embedding(tokens))
            return output[:, -1, :]

        def item_vectors(self, columns):
            """Output vectors share the input embedding (columns are 0-based)."""
            if columns is None:
                return self.embedding.weight[1:]
            return self.embedding(columns + 1)

    return GruNetwork()
