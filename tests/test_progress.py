"""Tests for seqbook.progress: a bar in Jupyter whose recorded output is one fixed line,
and nothing at all outside a kernel."""

import IPython.display

from seqbook import progress
from seqbook.models import fit


def test_outside_a_kernel_nothing_is_shown(capsys):
    assert not progress.in_kernel()
    bar = progress.Progress("training the LSTM", total=1000)
    for done in range(0, 1001, 7):
        bar.update(done)
    bar.close()
    assert bar._bar is None
    assert capsys.readouterr() == ("", "")


def test_fit_with_a_description_prints_nothing_outside_a_kernel(capsys):
    import torch

    model = torch.nn.Linear(2, 1)
    inputs = torch.ones(4, 2)

    def batch_loss(step):
        return model(inputs).pow(2).mean()

    history = fit(model, batch_loss, steps=5, progress="training a line")
    assert len(history["losses"]) == 5
    assert capsys.readouterr() == ("", "")


def shown_bar(monkeypatch, description, total):
    """A Progress displayed as in a kernel; returns it and what it displayed."""
    displayed = []
    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", displayed.append)
    bar = progress.Progress(description, total)
    [box] = displayed
    return bar, box


def test_the_recorded_text_is_one_fixed_line(monkeypatch):
    bar, box = shown_bar(monkeypatch, "training the LSTM", 1000)
    line = "<progress: training the LSTM, 1000 steps>"
    assert repr(box) == line
    for done in (1, 10, 500, 999):
        bar.update(done)
        assert repr(box) == line  # moving the bar does not change the recorded text
    bar.close()
    assert repr(box) == line


def test_the_bar_moves_to_the_end(monkeypatch):
    bar, _ = shown_bar(monkeypatch, "reversal", 250)
    assert (bar._bar.value, bar._bar.max) == (0, 250)
    assert bar._label.value == "reversal: 0 of 250"
    bar.update(100)
    assert bar._bar.value == 100 and bar._label.value == "reversal: 100 of 250"
    bar.close()
    assert bar._bar.value == 250 and bar._label.value == "reversal: 250 of 250"


def test_the_bar_redraws_about_a_hundred_times(monkeypatch):
    bar, _ = shown_bar(monkeypatch, "many steps", 10_000)
    values = set()
    for done in range(1, 10_001):
        bar.update(done)
        values.add(bar._bar.value)
    assert 100 <= len(values) <= 101
    assert bar._bar.value == 10_000
