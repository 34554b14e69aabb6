"""What kind of demand a series has, by Syntetos and Boylan's (2005) classes."""

import numpy as np


def demand_class(history: np.ndarray) -> np.ndarray:
    """Per series: smooth, erratic, intermittent, lumpy (or no_sales), from the average
    interval between sales (ADI, against 1.32) and the squared coefficient of variation of
    the sizes of the sales (CV^2, against 0.49)."""
    sold = history > 0
    counts = sold.sum(axis=1)
    per_sale = np.maximum(counts, 1)
    adi = history.shape[1] / per_sale
    mean = history.sum(axis=1) / per_sale
    variance = (np.where(sold, history - mean[:, None], 0.0) ** 2).sum(axis=1) / per_sale
    cv2 = np.divide(variance, mean**2, out=np.zeros_like(mean), where=mean > 0)
    regular, steady = adi < 1.32, cv2 < 0.49
    classes = np.where(regular, np.where(steady, "smooth", "erratic"), np.where(steady, "intermittent", "lumpy"))
    return np.where(counts == 0, "no_sales", classes)
