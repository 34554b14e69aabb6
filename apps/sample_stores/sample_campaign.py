"""A campaign log of the Hillstrom experiment's shape for machines without the real file: customers
with recency, spend history, product lines, area and channel, a third each sent a men's e-mail, a
women's e-mail or nothing, and whether they visited. The e-mails work mostly on customers who bought
that line before, so targeting has something real to find."""

import numpy as np
import pandas as pd

HISTORY_SEGMENTS = ["1) $0 - $100", "2) $100 - $200", "3) $200 - $350", "4) $350 - $500", "5) $500 - $750"]


def sample_campaign_log(rows: int = 6_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mens = rng.random(rows) < 0.55
    womens = ~mens | (rng.random(rows) < 0.3)
    history = rng.gamma(1.2, 200.0, rows).round(2)
    segment = rng.choice(["Mens E-Mail", "Womens E-Mail", "No E-Mail"], rows)
    base = 0.06 + 0.05 * (history > 300)
    lift = np.where(segment == "Mens E-Mail", 0.09 * mens, 0) + np.where(segment == "Womens E-Mail", 0.08 * womens, 0)
    visit = rng.random(rows) < base + lift
    return pd.DataFrame(
        {
            "recency": rng.integers(1, 13, rows),
            "history_segment": [HISTORY_SEGMENTS[min(int(h // 150), 4)] for h in history],
            "history": history,
            "mens": mens.astype(int),
            "womens": womens.astype(int),
            "zip_code": rng.choice(["Urban", "Surburban", "Rural"], rows),
            "newbie": rng.integers(0, 2, rows),
            "channel": rng.choice(["Phone", "Web", "Multichannel"], rows),
            "segment": segment,
            "visit": visit.astype(int),
        }
    )
