"""A global LSTM: one network learns from every series, each scaled by its own level.

It reads the last WINDOW periods of a series (scaled values plus a week-of-year signal)
and emits all `horizon` steps at once, trained with absolute error like the gradient-
boosted model. It runs on the GPU when one is present. It has to earn its place: model
selection only gives it the series where its backtests beat the others.
"""

import math

import numpy as np

from apps.forecasts.ml.base import Forecaster, ForecastInput, non_negative
from apps.forecasts.ml.windows import series_level, training_origins, week_of_year

WINDOW = 26
MAX_WINDOWS = 20_000


class GlobalLSTM(Forecaster):
    name = "lstm"
    is_global = True

    def __init__(self, hidden: int = 32, epochs: int = 8, batch_size: int = 512, device: str = "cpu"):
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.device = device

    def forecast(self, data: ForecastInput) -> np.ndarray:
        import torch

        torch.manual_seed(data.random_state)
        inputs, targets = _training_windows(data)
        if len(targets) < 50:
            return np.full((data.series_count, data.horizon), np.nan)
        rng = np.random.default_rng(data.random_state)
        if len(targets) > MAX_WINDOWS:
            keep = rng.choice(len(targets), MAX_WINDOWS, replace=False)
            inputs, targets = inputs[keep], targets[keep]
        network = _network(inputs.shape[2], self.hidden, data.horizon).to(self.device)
        optimiser = torch.optim.Adam(network.parameters(), lr=3e-3)
        x_all = torch.as_tensor(inputs, dtype=torch.float32, device=self.device)
        y_all = torch.as_tensor(targets, dtype=torch.float32, device=self.device)
        generator = torch.Generator(device="cpu").manual_seed(data.random_state)
        network.train()
        for _epoch in range(self.epochs):
            order = torch.randperm(len(y_all), generator=generator).to(self.device)
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                optimiser.zero_grad()
                target = y_all[batch]
                known = torch.isfinite(target)
                loss = (network(x_all[batch]) - torch.nan_to_num(target)).abs()[known].mean()
                loss.backward()
                optimiser.step()
        network.eval()
        origin = data.history.shape[1]
        window, level = _window_at(data.history, origin, _week_signal(data.periods))
        with torch.no_grad():
            scaled = network(torch.as_tensor(window, dtype=torch.float32, device=self.device)).cpu().numpy()
        return non_negative(scaled.astype(np.float64) * level[:, None])


def _network(inputs: int, hidden: int, horizon: int):
    """An LSTM over the window whose last hidden state a linear head turns into every
    step of the horizon (built here so that importing this module does not import torch)."""
    import torch

    class WindowToHorizon(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(inputs, hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, horizon)

        def forward(self, x):
            output, _state = self.lstm(x)
            return self.head(output[:, -1, :])

    return WindowToHorizon()


def _week_signal(periods) -> np.ndarray:
    week = week_of_year(periods).astype(float)
    return np.column_stack([np.sin(2 * math.pi * week / 52.18), np.cos(2 * math.pi * week / 52.18)])


def _window_at(history: np.ndarray, origin: int, weeks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, WINDOW, 3) inputs ending just before `origin` (zero-padded at the start) and the
    levels they are scaled by."""
    n = history.shape[0]
    level = series_level(history, origin)
    values = np.zeros((n, WINDOW))
    calendar = np.zeros((WINDOW, 2))
    take = min(WINDOW, origin)
    values[:, WINDOW - take :] = history[:, origin - take : origin] / level[:, None]
    calendar[WINDOW - take :] = weeks[origin - take : origin]
    window = np.concatenate([values[:, :, None], np.broadcast_to(calendar, (n, WINDOW, 2))], axis=2)
    return window, level


def _training_windows(data: ForecastInput) -> tuple[np.ndarray, np.ndarray]:
    history, periods = data.history, data.history.shape[1]
    weeks = _week_signal(data.periods)
    inputs, targets = [], []
    for origin in training_origins(periods):
        window, level = _window_at(history, origin, weeks)
        # Origins near the end see only part of the horizon: the steps beyond are NaN and
        # left out of the loss, so a short history still trains every step it can.
        target = np.full((len(history), data.horizon), np.nan)
        seen = history[:, origin : origin + data.horizon]
        target[:, : seen.shape[1]] = seen / level[:, None]
        inputs.append(window)
        targets.append(target)
    if not inputs:
        return np.zeros((0, WINDOW, 3)), np.zeros((0, data.horizon))
    return np.concatenate(inputs), np.concatenate(targets)
