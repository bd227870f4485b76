"""Tests for seqbook.plots: each drawing function on a real Agg axis."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from seqbook import reference
from seqbook.views import plots

matplotlib.use("Agg")


@pytest.fixture
def ax():
    figure, axis = plt.subplots()
    yield axis
    plt.close(figure)


# --- repeated_multiply ----------------------------------------------------------------


@pytest.mark.parametrize("steps", [0, 1, 5, 12])
def test_repeated_multiply_without_squash_grows_as_powers(steps):
    values = reference.repeated_multiply(3.0, steps, squash=False)
    assert values.shape == (steps + 1,)
    np.testing.assert_allclose(values, 0.5 * 3.0 ** np.arange(steps + 1), rtol=1e-15)


def test_repeated_multiply_exact_values():
    np.testing.assert_array_equal(reference.repeated_multiply(2.0, 3, squash=False, start=1.0),
                                  [1.0, 2.0, 4.0, 8.0])
    np.testing.assert_array_equal(reference.repeated_multiply(0.5, 2, squash=False, start=-4.0),
                                  [-4.0, -2.0, -1.0])


def test_repeated_multiply_with_squash_is_bounded():
    values = reference.repeated_multiply(3.0, 30, squash=True)
    assert values[0] == 0.5
    expected = [0.5]
    for _ in range(30):
        expected.append(np.tanh(3.0 * expected[-1]))
    np.testing.assert_allclose(values, expected, rtol=1e-15)
    assert np.all(np.abs(values) < 1)
    # it settles at the fixed point v = tanh(3 v), not at 0 and not beyond 1
    assert values[-1] == pytest.approx(np.tanh(3 * values[-1]), abs=1e-12)
    assert 0.9 < values[-1] < 1


def test_repeated_multiply_small_factor_shrinks():
    assert abs(reference.repeated_multiply(0.5, 20, squash=True)[-1]) < 1e-6
    assert reference.repeated_multiply(0.5, 20, squash=False)[-1] == pytest.approx(0.5**21)


# --- draw_squashing -------------------------------------------------------------------


@pytest.mark.parametrize("squash", [True, False])
def test_draw_squashing_returns_what_it_shows(ax, squash):
    shown = plots.draw_squashing(ax, 3.0, 12, squash)
    expected = reference.repeated_multiply(3.0, 12, squash)
    np.testing.assert_array_equal(shown["values"], expected)
    assert shown["final"] == expected[-1]
    lines = ax.get_lines()
    assert len(lines) == 2  # both curves, one highlighted
    np.testing.assert_allclose(lines[0].get_ydata(), reference.repeated_multiply(3.0, 12, False))
    np.testing.assert_allclose(lines[1].get_ydata(), reference.repeated_multiply(3.0, 12, True))
    highlighted = lines[1] if squash else lines[0]
    faded = lines[0] if squash else lines[1]
    assert highlighted.get_alpha() > faded.get_alpha()
    assert ax.get_yscale() == "symlog"


def test_draw_squashing_final_values(ax):
    assert plots.draw_squashing(ax, 3.0, 12, squash=False)["final"] == pytest.approx(
        0.5 * 3**12
    )
    assert -1 < plots.draw_squashing(ax, 3.0, 12, squash=True)["final"] < 1


# --- draw_gradient_by_lag -------------------------------------------------------------


@pytest.mark.parametrize("scale, grey_lines", [(1.0, 2), (0.9, 1), (2.0, 1)])
def test_draw_gradient_by_lag(ax, scale, grey_lines):
    shown = plots.draw_gradient_by_lag(ax, scale, steps=50)
    expected = reference.gradient_norm_by_lag(scale, steps=50)
    np.testing.assert_array_equal(shown["ratio"], expected["ratio"])
    assert shown["weight_gradient_norm"] == expected["weight_gradient_norm"]
    lines = ax.get_lines()
    # reference curves (the one equal to `scale` skipped), the curve, the line at 1
    assert len(lines) == grey_lines + 2
    np.testing.assert_array_equal(lines[grey_lines].get_ydata(), expected["ratio"])
    assert ax.get_yscale() == "log"


def test_draw_gradient_by_lag_vanishes_and_explodes(ax):
    assert plots.draw_gradient_by_lag(ax, 0.9)["ratio"][50] < 1e-4
    assert plots.draw_gradient_by_lag(ax, 2.0)["ratio"][50] > 100


# --- draw_losses ----------------------------------------------------------------------


def test_draw_losses_plots_every_curve_and_the_baseline(ax):
    curves = {"rnn": ([0, 1, 2], [3.0, 2.5, 2.2]), "gru": ([0, 2], [3.1, 2.0])}
    last = plots.draw_losses(ax, curves, baseline=2.9, baseline_label="unigram", ylabel="nats")
    assert last == {"rnn": 2.2, "gru": 2.0}
    lines = ax.get_lines()
    assert len(lines) == 3
    for line, (steps, values) in zip(lines, curves.values()):
        np.testing.assert_array_equal(line.get_xdata(), steps)
        np.testing.assert_array_equal(line.get_ydata(), values)
    assert list(lines[2].get_ydata()) == [2.9, 2.9]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["rnn", "gru", "unigram"]
    assert ax.get_ylabel() == "nats"
    assert ax.get_xlabel() == "training step"


def test_draw_losses_without_baseline(ax):
    plots.draw_losses(ax, {"only": ([0, 1], [1.0, 0.5])})
    assert len(ax.get_lines()) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["only"]


# --- Chapter 2 --------------------------------------------------------------------------


def test_draw_gate_drive_holds_the_memory_with_f_one_i_zero(ax):
    shown = plots.draw_gate_drive(ax, forget_gate=1.0, input_gate=0.0, output_gate=0.5,
                                  candidate=0.8, cell0=1.5, steps=9)
    np.testing.assert_allclose(shown["cells"], np.full(10, 1.5))
    np.testing.assert_allclose(shown["hiddens"], 0.5 * np.tanh(1.5))
    assert len(ax.lines) == 3  # cell, hidden, and the zero line


def test_draw_gate_drive_shows_where_the_cell_settles(ax):
    shown = plots.draw_gate_drive(ax, forget_gate=0.5, input_gate=1.0, output_gate=1.0,
                                  candidate=0.5, cell0=0.0, steps=30)
    assert shown["cells"][-1] == pytest.approx(1.0)  # i g / (1 - f)
    assert any("settles" in text.get_text() for text in ax.get_legend().get_texts())


def test_draw_gradient_reach_draws_the_rnn_and_each_lstm(ax):
    shown = plots.draw_gradient_reach(ax, forget_biases=[0.0, 3.0], length=40)
    assert len(ax.lines) == 4  # the RNN, two LSTMs and the line at 1
    assert shown["rnn_ratio"].shape == (40,)
    assert set(shown["lstm_ratios"]) == {0.0, 3.0}
    assert shown["lstm_ratios"][3.0][30] > shown["rnn_ratio"][30]
    assert shown["lstm_ratios"][3.0][30] > shown["lstm_ratios"][0.0][30]
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), shown["lstm_ratios"][3.0])


def test_draw_gate_trace_draws_three_heat_maps():
    from seqbook import reference

    rng = np.random.default_rng(0)
    weights = reference.random_lstm_weights(2, 6, rng)
    zeros = np.zeros((1, 6))
    trace = reference.lstm_forward_trace(rng.standard_normal((1, 12, 2)), zeros, zeros, **weights)
    figure, axes = plt.subplots(3, 1)
    shown = plots.draw_gate_trace(axes, trace, marked=(2, 9))
    assert set(shown) == {"input_gate", "forget_gate", "cell"}
    assert shown["cell"].shape == (6, 12)  # units by time
    assert all(len(ax.images) == 1 for ax in axes)
    assert all(len(ax.lines) == 2 for ax in axes)  # the two marked steps
    plt.close(figure)


def _name_trace(symbols, H, rng):
    gates = {name: rng.uniform(0, 1, size=(len(symbols), H))
             for name in ("input_gate", "forget_gate", "output_gate")}
    return {"symbols": symbols, **gates}


def test_draw_gates_along_names_puts_the_names_side_by_side():
    rng = np.random.default_rng(0)
    traces = [_name_trace([".", "a", "l"], 5, rng), _name_trace([".", "b", "o", "b"], 5, rng)]
    figure, axes = plt.subplots(3, 1)
    shown = plots.draw_gates_along_names(axes, traces, mark=("forget_gate", 2))
    assert shown["labels"] == ["▸", "a", "l", "", "▸", "b", "o", "b"]
    assert shown["input_gate"].shape == (5, 8)  # units by columns, one gap column
    assert np.isnan(shown["output_gate"][:, 3]).all()
    np.testing.assert_array_equal(shown["forget_gate"][:, 4:], traces[1]["forget_gate"].T)
    assert all(len(ax.images) == 1 for ax in axes)
    assert len(axes[1].patches) == 1 and not axes[0].patches  # the frame, on its gate only
    assert [label.get_text() for label in axes[1].get_yticklabels()] == ["unit 2"]
    plt.close(figure)


def test_draw_gate_by_symbol_sorts_and_highlights(ax):
    drawn = plots.draw_gate_by_symbol(ax, ["b", "a", "c"], [0.9, 0.2, 0.5], highlight=("a",))
    assert drawn["symbols"] == ["a", "c", "b"]
    np.testing.assert_allclose(drawn["values"], [0.2, 0.5, 0.9])
    colours = [bar.get_facecolor() for bar in ax.patches]
    assert colours[0] != colours[1] and colours[1] == colours[2]  # only "a" highlighted
