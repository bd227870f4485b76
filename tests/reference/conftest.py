"""What the tests of the numpy reference share: the sizes, a seeded generator, and the
torch layer each equation is checked against (float64, batch first)."""

import numpy as np
import pytest
import torch

B, T, D, H = 3, 7, 4, 5  # batch, time, input size, hidden size


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def torch_layer(layer_class, input_size=D, hidden_size=H, seed=0, **kwargs):
    """A float64, batch-first ``torch.nn.RNN``, ``LSTM`` or ``GRU`` seeded with ``seed``."""
    torch.manual_seed(seed)
    return layer_class(input_size, hidden_size, batch_first=True, dtype=torch.float64,
                       **kwargs)
