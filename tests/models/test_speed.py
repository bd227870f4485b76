"""Tests for seqbook.speed: operation counts, the timing helpers, and the operator counts
that explain why torch's GRU is slower than its LSTM on a CPU."""

import warnings

import numpy as np
import pytest
import torch

from seqbook import reference
from seqbook.models import speed


def test_flops_per_step_by_hand():
    # D = 1, H = 2, B = 1. RNN: x W_xh^T is 1 x 2 x 1 multiply-adds, h W_hh^T is 1 x 2 x 2,
    # so 2 * (2 + 4) = 12 FLOPs, plus 3 element-wise ops per unit: 6.
    assert speed.flops_per_step("rnn", 1, 2) == {
        "matrix": 12, "elementwise": 6, "total": 18, "squashings": 2}
    # LSTM: four blocks, 2 * 4 * 2 * (1 + 2) = 48; 17 * 2 = 34 element-wise; 5 * 2 squashings.
    assert speed.flops_per_step("lstm", 1, 2) == {
        "matrix": 48, "elementwise": 34, "total": 82, "squashings": 10}
    # GRU: three blocks, 2 * 3 * 2 * 3 = 36; 34 element-wise; 3 * 2 squashings.
    assert speed.flops_per_step("gru", 1, 2) == {
        "matrix": 36, "elementwise": 34, "total": 70, "squashings": 6}


def test_flops_scale_with_batch():
    one = speed.flops_per_step("gru", 2, 32)
    many = speed.flops_per_step("gru", 2, 32, batch=64)
    assert all(many[key] == 64 * one[key] for key in one)


def test_flops_matrix_product_is_two_per_multiply_add():
    B, D, H = 3, 5, 7
    counted = 0
    for rows, inner, cols in [(B, D, 4 * H), (B, H, 4 * H)]:  # x @ W_x.T, h @ W_h.T
        counted += 2 * rows * inner * cols
    assert speed.flops_per_step("lstm", D, H, batch=B)["matrix"] == counted


@pytest.mark.parametrize("input_size, hidden_size", [(1, 1), (2, 32), (10, 256)])
def test_gru_to_lstm_ratios(input_size, hidden_size):
    table = speed.flops_table(input_size, hidden_size)
    assert table["gru"]["matrix_vs_lstm"] == pytest.approx(0.75)
    assert table["gru"]["squashings_vs_lstm"] == pytest.approx(0.6)
    assert table["rnn"]["matrix_vs_lstm"] == pytest.approx(0.25)
    assert 0.75 <= table["gru"]["total_vs_lstm"] < 1
    assert table["lstm"]["total_vs_lstm"] == 1


def test_flops_rejects_unknown_cell():
    with pytest.raises(ValueError, match="cell must be one of"):
        speed.flops_per_step("transformer", 1, 2)


def test_time_call_counts_warmup_and_repeats():
    calls = []
    result = speed.time_call(lambda: calls.append(1), repeats=5, warmup=3)
    assert len(calls) == 8
    assert len(result["times"]) == 5
    assert 0 <= result["min"] <= result["median"]


def test_time_in_turn_interleaves():
    order = []
    fns = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    result = speed.time_in_turn(fns, repeats=3, warmup=1)
    assert order == ["a", "b"] + ["a", "b"] * 3
    assert set(result) == {"a", "b"} and len(result["a"]["times"]) == 3


def test_numpy_step_functions_feed_the_state_back():
    fns = speed.numpy_step_functions(batch=2, input_size=1, hidden_size=3, steps=2)
    assert set(fns) == set(speed.CELLS)
    for fn in fns.values():
        fn()  # runs without error


def test_time_numpy_cells_per_step():
    timings = speed.time_numpy_cells(batch=4, hidden_size=8, steps=3, repeats=2, warmup=1)
    assert set(timings) == set(speed.CELLS)
    assert all(len(timing["times"]) == 2 and timing["min"] > 0 for timing in timings.values())
    assert speed.gru_to_lstm_ratio(timings) > 0


def test_blas_threads_restores_the_count():
    setters = speed._openblas_thread_setters()
    with speed.blas_threads(1) as known:
        assert known == (setters is not None)
        if known:
            assert setters[0]() == 1
    if setters is not None:
        before = setters[0]()
        with speed.blas_threads(1):
            pass
        assert setters[0]() == before


def test_onednn_switch_is_quiet_and_restores():
    before = torch.backends.mkldnn.enabled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with speed.onednn(False):
            assert not torch.backends.mkldnn.enabled
    assert torch.backends.mkldnn.enabled == before


def test_time_torch_modules_small():
    for backward in (False, True):
        timings = speed.time_torch_modules(batch=2, length=3, hidden_size=4,
                                           backward=backward, repeats=2, warmup=1)
        assert set(timings) == set(speed.CELLS)
        assert all(timing["min"] > 0 for timing in timings.values())


def test_operator_calls_name_the_kernels():
    counts = speed.operator_calls(batch=4, length=20, hidden_size=8)
    gru, lstm = counts["gru"], counts["lstm"]
    # The generic GRU makes at least one matrix product per time step, forward and back.
    assert gru["addmm"] + gru["mm"] >= 2 * 20
    if torch.backends.mkldnn.is_available():
        # The LSTM hands the whole sequence to oneDNN: one call forward, one backward.
        assert lstm["mkldnn_rnn_layer"] == 1
        assert lstm["mkldnn_rnn_layer_backward"] == 1
        assert sum(lstm.values()) < sum(gru.values()) / 10
    text = speed.operator_summary(counts)
    assert "nn.GRU" in text and "nn.LSTM" in text


def test_operator_calls_grow_with_length_only_for_the_generic_path():
    short = speed.operator_calls(batch=2, length=10, hidden_size=4)
    long = speed.operator_calls(batch=2, length=20, hidden_size=4)
    assert sum(long["gru"].values()) > sum(short["gru"].values()) + 10
    if torch.backends.mkldnn.is_available():
        assert sum(long["lstm"].values()) == sum(short["lstm"].values())


def test_operator_calls_without_onednn():
    counts = speed.operator_calls(batch=2, length=10, hidden_size=4, use_onednn=False)
    assert "mkldnn_rnn_layer" not in counts["lstm"]
    assert counts["lstm"]["addmm"] + counts["lstm"]["mm"] >= 10


def test_numpy_cells_count_matches_flops_shapes():
    # The weights the timing uses have the shapes the FLOP count assumes.
    rng = np.random.default_rng(0)
    weights = reference.random_gru_weights(2, 5, rng)
    assert weights["W_x"].shape == (3 * 5, 2) and weights["W_h"].shape == (3 * 5, 5)


def test_seconds_per_tiny_call_is_small_and_positive():
    seconds = speed.seconds_per_tiny_call(calls=50, repeats=2)
    assert 0 < seconds < 0.01


def test_time_fused_and_generic_times_three_variants_and_restores_onednn():
    before = torch.backends.mkldnn.enabled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        timings = speed.time_fused_and_generic(batch=1, length=3, hidden_size=4, repeats=2,
                                               warmup=1)
    assert set(timings) == {"lstm", "lstm_generic", "gru"}
    assert all(len(timing["times"]) == 2 and timing["min"] > 0 for timing in timings.values())
    assert torch.backends.mkldnn.enabled == before
