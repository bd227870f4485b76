"""Progress bars for long-running cells: a bar in Jupyter, nothing anywhere else.

In a notebook kernel :class:`Progress` displays an ``ipywidgets`` bar once and then moves
it through the widget's own channel, so the cell's recorded output is one fixed line
(``<progress: training the LSTM, 1000 steps>``) whatever the machine, which keeps nbval's
comparison strict. Outside a kernel (tests, scripts) it does nothing.
"""


def in_kernel():
    """True inside a running Jupyter kernel (JupyterLab, Colab, nbclient)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Progress:
    """``Progress("training the LSTM", total=1000)``, then ``update(step)`` and ``close()``.

    The bar redraws at most about 100 times, so even a fast loop pays nothing for it.
    """

    def __init__(self, description, total):
        self.description = description
        self.total = max(int(total), 1)
        self._every = max(self.total // 100, 1)
        self._bar = None
        if in_kernel():
            self._show()

    def _show(self):
        import ipywidgets as widgets
        from IPython.display import display

        class ProgressBox(widgets.HBox):
            def __repr__(box):
                return f"<progress: {self.description}, {self.total} steps>"

        self._bar = widgets.IntProgress(value=0, min=0, max=self.total)
        self._label = widgets.Label(f"{self.description}: 0 of {self.total}")
        self._bar.layout.width = "40%"
        display(ProgressBox([self._bar, self._label]))

    def update(self, done):
        """``done`` steps of ``total`` are finished."""
        if self._bar is not None and (done % self._every == 0 or done >= self.total):
            self._bar.value = min(done, self.total)
            self._label.value = f"{self.description}: {min(done, self.total)} of {self.total}"

    def close(self):
        self.update(self.total)
