"""Explorer widgets for the labs, built with ipywidgets.

The figure is drawn with matplotlib into PNG bytes held by an ``ipywidgets.Image``, so
it lives in the widget's own state: it shows in a live notebook, in a notebook executed
by nbclient, and in the static book from the saved widget state alike.

Each explorer is a small object: ``controls`` (a dict of ipywidgets controls),
``widget`` (what the notebook displays) and ``shown`` (the numbers drawn last), so a
test can move a control and check that the picture changed as it should.
"""

import io

import ipywidgets as widgets
from IPython.display import display
from matplotlib.figure import Figure

from seqbook import plots


class ExplorerBox(widgets.VBox):
    """The displayed box; its plain-text form is a short, stable description."""

    description = "explorer"

    def __repr__(self):
        return f"<{self.description}>"


class Explorer:
    """Controls above a figure that is redrawn whenever a control moves."""

    def __init__(self, title, controls, draw, figsize=(7, 3.5)):
        self.title = title
        self.controls = controls
        self._draw = draw
        self._figsize = figsize
        self.image = widgets.Image(format="png")
        self.shown = None
        for control in controls.values():
            control.observe(self._redraw, names="value")
        self.widget = ExplorerBox(
            [widgets.HTML(f"<b>{title}</b>"), widgets.HBox(list(controls.values())), self.image]
        )
        self.widget.description = f"{title}: move {', '.join(controls)}"
        self._redraw()

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def _redraw(self, change=None):
        figure = Figure(figsize=self._figsize)
        self.shown = self._draw(figure, **self.values())
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()

    def __repr__(self):
        return repr(self.widget)

    def _ipython_display_(self):
        display(self.widget)


def squashing_explorer(factor=3.0, steps=12, squash=True):
    """A value multiplied by ``factor`` at every step, with tanh switchable (section 1.3)."""
    controls = {
        "factor": widgets.FloatSlider(value=factor, min=0.5, max=4.0, step=0.1,
                                      description="factor"),
        "steps": widgets.IntSlider(value=steps, min=1, max=30, description="steps"),
        "squash": widgets.Checkbox(value=squash, description="apply tanh"),
    }

    def draw(figure, factor, steps, squash):
        figure.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9)
        return plots.draw_squashing(figure.add_subplot(1, 1, 1), factor, steps, squash)

    return Explorer("Squashing with tanh", controls, draw)


def gradient_explorer(scale=1.0, clip=False, threshold=1.0):
    """Gradient size against lag as W_hh's scale moves, and the update with clipping."""
    controls = {
        "scale": widgets.FloatSlider(value=scale, min=0.5, max=2.5, step=0.05,
                                     description="scale of W_hh"),
        "clip": widgets.Checkbox(value=clip, description="clip the update"),
        "threshold": widgets.FloatLogSlider(value=threshold, base=10, min=-1, max=3,
                                            description="threshold"),
    }

    def draw(figure, scale, clip, threshold):
        figure.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.9, wspace=0.35)
        left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
        shown = plots.draw_gradient_by_lag(left, scale)
        shown.update(plots.draw_update_size(right, shown["weight_gradient_norm"], clip,
                                            threshold))
        return shown

    return Explorer("Vanishing and exploding gradients", controls, draw, figsize=(9, 3.5))
