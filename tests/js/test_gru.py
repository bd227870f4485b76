"""Chapter 3's GRU-unit and parameter explorers in JavaScript equal the numpy reference,
and the parameter counts equal torch's modules (under Node)."""

import numpy as np
import pytest
import torch

from seqbook import reference
from tests.js.node import call_js

UNIT_CASES = [(z, r, drive) for z in (0.0, 0.5, 0.9, 1.0) for r in (0.0, 0.3, 1.0)
              for drive in (-3.0, -1.0, 0.0, 2.5)]
SIZES = [(1, 1), (10, 32), (4, 7), (300, 64), (512, 1024)]


def test_gru_unit_trajectory_matches_numpy():
    results = call_js(["gru.js"], [("gru.gruUnitTrajectory", (*case, 15)) for case in UNIT_CASES])
    for case, result in zip(UNIT_CASES, results, strict=True):
        hiddens, candidates = reference.gru_unit_trajectory(*case, 15)
        np.testing.assert_allclose(result["hiddens"], hiddens, rtol=1e-12, atol=1e-15)
        assert result["candidates"][0] is None  # NaN: no candidate before step 1
        np.testing.assert_allclose(result["candidates"][1:], candidates[1:], rtol=1e-12,
                                   atol=1e-15)


def test_parameter_counts_equal_torchs_modules():
    results = call_js(["gru.js"], [("gru.parameterCounts", size) for size in SIZES])
    modules = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
    for (D, H), counts in zip(SIZES, results, strict=True):
        assert counts == reference.parameter_counts(D, H)
        for name, module in modules.items():
            assert counts[name] == sum(p.numel() for p in module(D, H).parameters()), (name, D, H)


def test_a_wrong_count_is_caught():
    """The torch comparison is not vacuous: the one-bias count of a textbook RNN differs."""
    [counts] = call_js(["gru.js"], [("gru.parameterCounts", (10, 32))])
    with pytest.raises(AssertionError):
        assert counts["rnn"] - 32 == sum(p.numel() for p in torch.nn.RNN(10, 32).parameters())
