"""Chapter 1's explorer math in JavaScript equals the numpy reference (under Node)."""

import numpy as np
import pytest

from seqbook import reference
from tests.js.node import call_js

CASES = [(factor, steps, squash) for factor in (0.5, 0.9, 1.0, 2.7, 4.0)
         for steps in (1, 12, 30) for squash in (False, True)]


def test_repeated_multiply_matches_numpy():
    results = call_js(["rnn.js"], [("rnn.repeatedMultiply", case) for case in CASES])
    for (factor, steps, squash), values in zip(CASES, results, strict=True):
        expected = reference.repeated_multiply(factor, steps, squash)
        np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-12)


def test_the_comparison_can_fail():
    """A JavaScript answer that is off by 1e-9 is caught (the parity bar is not vacuous)."""
    [values] = call_js(["rnn.js"], [("rnn.repeatedMultiply", (2.0, 5, True))])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(np.array(values) + 1e-9,
                                   reference.repeated_multiply(2.0, 5, True),
                                   rtol=1e-12, atol=1e-12)
