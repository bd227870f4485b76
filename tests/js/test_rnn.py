"""Chapter 1's explorer math in JavaScript equals the numpy reference (under Node)."""

import numpy as np
import pytest

from seqbook import reference
from seqbook.views import live
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


GRADIENT_SCALES = (0.5, 0.9, 1.0, 1.3, 2.0, 2.5)


def test_gradient_norm_by_lag_matches_numpy():
    """The gradient explorer's curve and update size, from the same numpy draws, for
    scales where the gradient vanishes, holds and explodes."""
    draws = reference.gradient_demo_draws(steps=50)
    results = call_js(["rnn.js"], [("rnn.gradientNormByLag", (draws, scale))
                                   for scale in GRADIENT_SCALES])
    for scale, result in zip(GRADIENT_SCALES, results, strict=True):
        expected = reference.gradient_norm_by_lag(scale, steps=50)
        np.testing.assert_allclose(result["ratio"], expected["ratio"], rtol=1e-9, atol=0)
        assert result["weightGradientNorm"] == pytest.approx(
            expected["weight_gradient_norm"], rel=1e-9, abs=0)
    ratios = [result["ratio"][-1] for result in results]
    assert ratios[0] < 1e-10 and ratios[-1] > 1e3  # vanishing at 0.5, exploding at 2.5


def test_gradient_draws_do_not_depend_on_the_scale():
    """gradient_norm_by_lag really is scale times one orthogonal matrix on fixed draws."""
    draws = reference.gradient_demo_draws(steps=50)
    orthogonal = draws["orthogonal"]
    np.testing.assert_allclose(orthogonal @ orthogonal.T, np.eye(32), atol=1e-12)
    rebuilt = reference.gradient_norm_by_lag(1.7, steps=50)
    [result] = call_js(["rnn.js"], [("rnn.gradientNormByLag", (draws, 1.7))])
    assert result["weightGradientNorm"] == pytest.approx(rebuilt["weight_gradient_norm"],
                                                         rel=1e-9)


def test_clipped_size_is_algorithm_1():
    cases = [(5.0, True, 1.0), (5.0, False, 1.0), (0.5, True, 1.0), (1e4, True, 10.0)]
    results = call_js(["rnn.js"], [("rnn.clippedSize", case) for case in cases])
    for (norm, clip, threshold), after in zip(cases, results, strict=True):
        grads = [np.array([norm])]
        clipped = reference.clip_gradient_norm(grads, threshold)[0][0] if clip else grads[0]
        assert after == pytest.approx(float(np.linalg.norm(clipped)), rel=1e-12)


def test_unpack_gives_numpys_numbers_exactly():
    draws = reference.gradient_demo_draws(steps=50)
    arrays = [draws["xs"], draws["b_h"], np.float64(2.5), draws["W_xh"].astype(np.float32)]
    packed = [live.pack_array(arrays[0]), live.pack_array(arrays[1]),
              live.pack_array(arrays[2]), live.pack_array(arrays[3], "float32")]
    results = call_js([], [("core.unpack", [one]) for one in packed])
    for array, result in zip(arrays, results, strict=True):
        assert np.array_equal(np.array(result), np.asarray(array, dtype=np.float64))
    assert np.array(results[0]).shape == (16, 50, 4)
    with pytest.raises(ValueError, match="float32 or float64"):
        live.pack_array(arrays[1], "int64")
