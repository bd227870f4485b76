"""The squashing functions the gated cells share."""

import numpy as np


def sigmoid(a):
    """The logistic function 1 / (1 + exp(-a)), with values in (0, 1), computed stably."""
    a = np.asarray(a, dtype=np.float64)
    exp_neg_abs = np.exp(-np.abs(a))  # never overflows
    return np.where(a >= 0, 1.0 / (1.0 + exp_neg_abs), exp_neg_abs / (1.0 + exp_neg_abs))
