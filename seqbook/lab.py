"""One call that makes a lab reproducible: seeds, deterministic torch, tidy printing."""

import random

import numpy as np
import torch


def setup(seed=0):
    """Seed every random generator the labs use and make torch deterministic.

    Returns:
        A numpy ``Generator`` seeded with ``seed``, for the lab's own random draws.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    # The labs' models are small: one thread is faster than two passing tiny matrices back
    # and forth, and leaves the other core free.
    torch.set_num_threads(1)
    np.set_printoptions(precision=4, suppress=True)
    return np.random.default_rng(seed)
