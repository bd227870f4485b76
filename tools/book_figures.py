"""Draw the reading figures that come from code into book/figures/.

Usage:  .venv/bin/python tools/book_figures.py [--check]
Writes each figure of FIGURES as SVG, drawn by a function of seqbook.views.plots (the
same function a lab uses). The SVG is byte-for-byte reproducible (fixed ids, no date), so
--check, and tests/views/test_illustrations.py, can tell when a committed figure no
longer matches its code. The other figures in book/figures/ are drawn by hand.
"""

import argparse
import io
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

from seqbook.views import plots  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent

# file in book/figures/ -> (illustration of plots.illustrative_alignment, size in inches)
FIGURES = {
    "attention_how_are_you.svg": ("translation", (4.8, 3.0)),
    "attention_long_range.svg": ("long_range", (7.0, 3.6)),
}


def draw(name):
    """The SVG text of one figure of FIGURES."""
    illustration, size = FIGURES[name]
    with plt.rc_context({"svg.hashsalt": "seqbook", "svg.fonttype": "path"}):
        figure, ax = plt.subplots(figsize=size, layout="constrained")
        plots.draw_illustrative_alignment(ax, illustration)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
        plt.close(figure)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; fail if a committed figure differs from its code")
    args = parser.parse_args(argv)
    stale = []
    for name in FIGURES:
        path = ROOT / "book" / "figures" / name
        text = draw(name)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date (run tools/book_figures.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
