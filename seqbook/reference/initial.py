"""Random starting weights, drawn the way torch draws them for its recurrent layers."""

import numpy as np


def uniform_weights(rng, fan_in, shapes):
    """One array per name in ``shapes`` ({name: shape}), drawn from ``rng`` in that
    order, each entry uniform in (-1/sqrt(fan_in), 1/sqrt(fan_in)): torch's default for
    ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``, whose fan-in is the hidden size H."""
    bound = 1.0 / np.sqrt(fan_in)
    return {name: rng.uniform(-bound, bound, size=shape) for name, shape in shapes.items()}
