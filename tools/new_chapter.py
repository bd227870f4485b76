"""Scaffold a new chapter: reading, lab master, checks and table-of-contents entries.

Usage:  .venv/bin/python tools/new_chapter.py NN_topic [--title TITLE] [--exercise NAME]
                                               [--execute]

Writes a small chapter that keeps every rule of the chapter contract
(tests/test_chapter_contract.py) except the number of exercises (it has one; a chapter
needs four): the reading book/NN_topic.md with every required section, its figure, the
otter master solutions/NN_topic.ipynb (set-up cell, one explorer, one exercise with its
solution, a public and a hidden test, an experiment, instructor-only answers), the numpy
reference seqbook/reference/TOPIC.py, the checks seqbook/checks/TOPIC.py with their tests
tests/checks/test_TOPIC.py, the explorer's JavaScript seqbook/views/js/TOPIC.js with its
Node test tests/js/test_TOPIC.py, and the chapter's entry at the end of the Chapters part of
_toc.yml. With --execute it then generates the student notebook lessons/NN_topic.ipynb
(tools/make_lessons.py NN_topic, a few seconds). It changes no existing file but _toc.yml
and refuses a chapter number, a file or a module name that already exists.
"""

import argparse
import keyword
import pathlib
import re
import subprocess
import sys
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAPTER_ID = re.compile(r"(\d{2})_([a-z][a-z0-9_]*)")


class ScaffoldError(Exception):
    """The chapter cannot be scaffolded; the message says why and what to do."""


def fill(template, values):
    """``template`` with every ``<<name>>`` replaced by ``values[name]``."""
    for name, value in values.items():
        template = template.replace(f"<<{name}>>", str(value))
    leftover = re.findall(r"<<\w+>>", template)
    assert not leftover, f"unfilled placeholders {leftover}"
    return template


# ---------------------------------------------------------------------------------------
# The reading
# ---------------------------------------------------------------------------------------

READING = r"""# <<n>>. <<Title>>

% Written by tools/new_chapter.py: a skeleton with every part that the chapter contract
% (tests/test_chapter_contract.py) and ../shared/CHAPTER.md ask for, around a small
% example (the running mean). Replace the example with the chapter's own content. Lines
% that start with % are comments: the book does not show them.

:::{admonition} Learning objectives
:class: tip

After this chapter and {doc}`its lab <../lessons/<<chapter>>>` you can

1. compute the running mean of a batch of sequences, equation (<<n>>.1);
2. say how fast it settles as a sequence grows, and what it cannot do.
:::

## <<n>>.1 A summary of what has been read

% Motivation with a concrete example, the intuition, then the equations (numbered).
A sequence model reads its input one step at a time and keeps a summary of what it has
read so far. The simplest summary is the **running mean**, the average of the inputs up
to step $t$:

$$
m_t = \frac{1}{t} \sum_{s=1}^{t} x_s
\tag{<<n>>.1}
$$

It can be computed one step at a time, like a recurrent network's state, with a fixed
rule in place of learned weights:

$$
m_t = m_{t-1} + \frac{x_t - m_{t-1}}{t}
\tag{<<n>>.2}
$$

```{figure} figures/<<chapter>>.svg
:name: fig-<<chapter>>
:width: 420px

The running mean as a recurrence, equation (<<n>>.2): each step folds the new input $x_t$
into the summary $m_{t-1}$.
```

## <<n>>.2 What can go wrong

% The pitfalls, each with what to do about it.
Every input counts as much as every other, so the running mean forgets nothing and cannot
change its mind quickly: after a thousand steps, one new input moves it by a thousandth.
On noisy inputs it also settles slowly: its error shrinks only like $1/\sqrt{t}$.
A recurrent network {cite:p}`<<cite>>` learns instead what to keep and what to forget.

## Summary

- The running mean, equation (<<n>>.1), summarises a sequence of any length in a vector
  of fixed size, and can be updated step by step, equation (<<n>>.2).
- On noisy inputs its error shrinks like $1/\sqrt{t}$; it never forgets.

## Key terms

running mean
: The average of the inputs read so far, equation (<<n>>.1).

## Questions

% Every question gets its answer in an {answer} block, shown collapsed on the page.
1. Show that the update of equation (<<n>>.2) gives the mean of equation (<<n>>.1).

   ```{answer}
   % Write the answer here: two to six sentences, numbers only if the lab asserts them.
   By induction on $t$: if $m_{t-1}$ is the mean of the first $t - 1$ inputs, the update
   adds the new input's share, $(x_t - m_{t-1}) / t$, and gives the mean of the first $t$.
   ```

2. What would a running summary need in order to forget old inputs?

   ```{answer}
   A weight that shrinks old inputs, such as a fixed factor $\beta < 1$ per step (an
   exponential moving average) or, better, a factor the network learns: a gate.
   ```

## Further reading

% Who introduced the ideas and where to read more. Every key must be in book/references.bib.
The recurrent network that learns its own summary is due to {cite:t}`<<cite>>`. The full
list is in the {doc}`bibliography`.
"""

FIGURE = """<svg xmlns="http://www.w3.org/2000/svg" width="420" height="120" viewBox="0 0 420 120"
     font-family="sans-serif" font-size="15">
  <title>The running mean as a recurrence (written by tools/new_chapter.py)</title>
  <defs>
    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
            orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker>
  </defs>
  <rect x="10" y="40" width="80" height="40" rx="6" fill="#eef" stroke="#335"/>
  <text x="50" y="65" text-anchor="middle">m(t-1)</text>
  <rect x="160" y="40" width="110" height="40" rx="6" fill="#efe" stroke="#353"/>
  <text x="215" y="65" text-anchor="middle">+ (x - m) / t</text>
  <rect x="330" y="40" width="80" height="40" rx="6" fill="#eef" stroke="#335"/>
  <text x="370" y="65" text-anchor="middle">m(t)</text>
  <text x="215" y="18" text-anchor="middle">x(t)</text>
  <line x1="90" y1="60" x2="158" y2="60" stroke="#333" marker-end="url(#arrow)"/>
  <line x1="270" y1="60" x2="328" y2="60" stroke="#333" marker-end="url(#arrow)"/>
  <line x1="215" y1="24" x2="215" y2="38" stroke="#333" marker-end="url(#arrow)"/>
</svg>
"""


# ---------------------------------------------------------------------------------------
# The lab master
# ---------------------------------------------------------------------------------------

CONFIG = """# ASSIGNMENT CONFIG
name: <<chapter>>
init_cell: true
check_all_cell: false
export_cell: false
run_tests: false
tests:
  ok_format: false"""

TITLE = """# Lab <<n>>: <<title>>

This lab is the hands-on half of [Chapter <<n>>](../book/<<chapter>>.md). You will write
the running mean of a batch of sequences, prove it right, explore how it settles, and
measure how fast.

**Learning objectives.** By the end of this lab you can

1. write the running mean, equation (<<n>>.1), for a batch of sequences (exercise 1);
2. show that it agrees with a plain loop (demo);
3. see and measure how its error shrinks as a sequence grows (explorer, experiment).

**Exercises** are functions with a docstring that fixes their contract. Replace the `...`
with your code and run the `grader.check(...)` cell below it: it tells you what is wrong
in words. Passing these public checks is not yet full marks: your instructor grades with
more cases (other sizes, edge cases). Points: exercise 1 (`<<exercise>>`) 1; 1 in all.

Everything after an exercise uses the book's reference implementation, so the lab runs
before you have solved anything."""

SETUP = """%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from seqbook import lab
from seqbook.reference import <<topic>> as reference
from seqbook.views import live

rng = lab.setup(seed=0)  # seeds numpy, torch and random; torch deterministic, one thread"""

RECAP = """## <<n>>.1 The running mean

Equation (<<n>>.1) of the reading: the mean of the inputs up to step $t$,

$$m_t = \\frac{1}{t} \\sum_{s=1}^{t} x_s.$$

A batch of sequences is stored batch first, `xs` of shape `(B, T, D)`; the running means
have the same shape, one $m_t$ per sequence and step."""

EXERCISE = """### Exercise 1 (1 point): the running mean

Write `<<exercise>>`, equation (<<n>>.1), for a whole batch at once, without a Python
loop: `np.cumsum` adds up along an axis."""

SOLUTION = '''def <<exercise>>(xs):
    """The mean of the inputs read so far, at every step: equation (<<n>>.1).

    Args:
        xs: inputs, shape (B, T, D), batch first.

    Returns:
        The running means m_1, ..., m_T stacked along axis 1, shape (B, T, D): m_t is
        the mean of the steps 1 to t of each sequence. xs itself is left unchanged.
    """
    # BEGIN SOLUTION
    steps_so_far = np.arange(1, xs.shape[1] + 1).reshape(1, -1, 1)
    return np.cumsum(xs, axis=1) / steps_so_far
    # END SOLUTION'''

PUBLIC_TEST = """def test_<<exercise>>_public(<<exercise>>):
    from seqbook.checks import <<topic>> as checks
    checks.<<exercise>>_public(<<exercise>>)
test_<<exercise>>_public(<<exercise>>)"""

HIDDEN_TEST = """# HIDDEN
def test_<<exercise>>_hidden(<<exercise>>):
    from seqbook.checks import <<topic>> as checks
    checks.<<exercise>>_hidden(<<exercise>>)
test_<<exercise>>_hidden(<<exercise>>)"""

PROOF_TEXT = """\
**Proof: the book's running mean agrees with a plain loop**, which averages the first
$t$ steps directly, for every $t$."""

PROOF = """xs = rng.standard_normal((2, 5, 3))  # (B, T, D)
by_loop = np.stack([xs[:, :t + 1].mean(axis=1) for t in range(xs.shape[1])], axis=1)
print("agrees with a loop to 1e-12:", np.abs(reference.<<exercise>>(xs) - by_loop).max() < 1e-12)
assert np.allclose(reference.<<exercise>>(xs), by_loop)"""

EXPLORE_TEXT = """\
**Explore.** Make the sequence longer and watch the running mean settle on the true mean
(dotted); raise the noise and it takes longer. Late inputs hardly move it: it never
forgets."""

EXPLORER = """# TODO(author): move this explorer into seqbook/views/explorers.py (one function per
# explorer, tested in tests/views/) and call it from here. It computes in the reader's
# browser (seqbook/views/js/<<topic>>.js, checked against the reference by tests/js).
live.LiveExplorer(
    "<<topic>>_running_mean", "The running mean", ["length", "noise"],
    {"length": 20, "noise": 1.0,  # numpy draws the noise; JavaScript cannot repeat it
     "standard_normal": live.pack_array(np.random.default_rng(1).standard_normal(200))},
    scripts=["<<topic>>.js"])"""

JS_EXPLORER = """\
// Chapter <<n>>'s explorer (written by tools/new_chapter.py as an example): the running mean
// of equation (<<n>>.1) as the inputs grow longer and noisier. runningMean mirrors
// seqbook.reference.<<topic>>.<<exercise>>; tests/js/test_<<topic>>.py compares them under Node.

(function (global) {
  "use strict";
  const seqbook = global.seqbook;
  if (seqbook["<<topic>>"]) return;
  const { colours } = seqbook.core;

  /** m_t = (x_1 + ... + x_t) / t for t = 1 ... T, for a sequence of numbers. */
  function runningMean(xs) {
    let total = 0;
    return xs.map((x, t) => {
      total += x;
      return total / (t + 1);
    });
  }

  seqbook.core.register("<<topic>>_running_mean", (root, config) => {
    const standardNormal = seqbook.core.unpack(config.standard_normal);
    seqbook.core.explorer(root, {
      title: "The running mean",
      controls: [
        { kind: "slider", name: "length", label: "length", min: 2,
          max: standardNormal.length, step: 1, value: config.length },
        { kind: "slider", name: "noise", label: "noise", min: 0, max: 2, step: 0.1,
          value: config.noise },
      ],
      draw({ length, noise }, figure) {
        const signal = standardNormal.slice(0, length).map((z) => 0.5 + noise * z);
        const means = runningMean(signal);
        const steps = signal.map((_, t) => t + 1);
        seqbook.core.lineChart(figure, {
          title: `${length} inputs, noise ${noise.toFixed(1)}`,
          x: { label: "step t", min: 1, max: length },
          y: { label: "value", min: Math.min(-0.5, ...signal), max: Math.max(1.5, ...signal) },
          series: [
            { x: steps, y: signal, colour: colours.blue, width: 0, marker: true, opacity: 0.4,
              label: "input x_t" },
            { x: steps, y: means, colour: colours.orange, label: "running mean m_t" },
            { x: [1, length], y: [0.5, 0.5], colour: colours.gray, dash: "2 3", width: 1,
              label: "true mean" },
          ],
        });
        seqbook.core.caption(figure, `after ${length} steps m = ${means[length - 1].toFixed(3)}`);
        return { last: means[length - 1] };
      },
    });
  });

  seqbook["<<topic>>"] = { runningMean };
})(typeof globalThis !== "undefined" ? globalThis : window);
"""

JS_TEST = '''"""Chapter <<n>>'s explorer in JavaScript equals the numpy reference (under Node)."""

import numpy as np
import pytest

from seqbook.reference import <<topic>> as reference
from tests.js.node import call_js

SEQUENCES = [np.array([1.0]), np.array([0.5, -2.0, 3.25]),
             np.random.default_rng(0).standard_normal(200)]


def test_running_mean_matches_numpy():
    results = call_js(["<<topic>>.js"], [("<<topic>>.runningMean", (xs,)) for xs in SEQUENCES])
    for xs, result in zip(SEQUENCES, results, strict=True):
        expected = reference.<<exercise>>(xs[None, :, None])[0, :, 0]
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-15)


def test_a_wrong_mean_is_caught():
    """The comparison is not vacuous: a mean divided by t + 1 instead of t differs."""
    [result] = call_js(["<<topic>>.js"], [("<<topic>>.runningMean", (SEQUENCES[1],))])
    expected = reference.<<exercise>>(SEQUENCES[1][None, :, None])[0, :, 0]
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(np.array(result) * np.arange(1, 4) / np.arange(2, 5),
                                   expected)
'''

EXPERIMENT_TEXT = """## <<n>>.2 How fast does it settle?

The claim of section <<n>>.2 of the reading, measured: on inputs with noise of standard
deviation 1, the error of the running mean shrinks like $1/\\sqrt{t}$, so ten times more
steps make it about $\\sqrt{10} \\approx 3.2$ times smaller. 200 sequences of 1,000 steps:"""

EXPERIMENT = """noisy = 0.5 + rng.standard_normal((200, 1000, 1))  # true mean 0.5, noise 1
errors = np.abs(reference.<<exercise>>(noisy) - 0.5).mean(axis=(0, 2))  # (T,)
for t in [10, 100, 1000]:
    print(f"t = {t:4d}: mean error {errors[t - 1]:.3f}")
assert 2.5 < errors[9] / errors[99] < 4.0  # about sqrt(10) = 3.2

steps = np.arange(1, 1001)
fig, ax = plt.subplots(figsize=(6, 3))
ax.loglog(steps, errors, label="measured")
ax.loglog(steps, np.sqrt(2 / np.pi) / np.sqrt(steps), ":", label="$0.8 / \\\\sqrt{t}$")
ax.set_xlabel("step $t$")
ax.set_ylabel("mean error")
ax.legend()
plt.show()"""

SUMMARY = """## Summary

- The running mean, equation (<<n>>.1), is a fixed-size summary of a sequence of any
  length; `np.cumsum` computes it for a whole batch at once.
- Its error on noisy inputs shrinks like $1/\\sqrt{t}$, and late inputs hardly move it.

## Questions

1. Why does dividing every step by the sequence length $T$ give wrong running means?
2. How would you change the running mean so that it forgets old inputs?"""

ANSWERS = """**Answers (instructor copy only).**

1. Step $t$ has read $t$ inputs, not $T$: dividing by $T$ shrinks the early means.
2. Weight recent inputs more, e.g. an exponential moving average
   $m_t = \\beta m_{t-1} + (1 - \\beta) x_t$; a gated network learns such a factor."""

FURTHER = """## Further reading

- The reading, [Chapter <<n>>](../book/<<chapter>>.md), with the references."""


def master_notebook(values):
    """The lab master, an otter assignment in the book's layout, unexecuted, as JSON."""
    import nbformat  # slow to import (its JSON schemas): only once the chapter is accepted

    from seqbook.course import publishing

    raw, md, code = (nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell,
                     nbformat.v4.new_code_cell)

    def f(template):
        return fill(template, values)

    answers = md(f(ANSWERS))
    answers.metadata["tags"] = ["instructor-only"]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        raw(f(CONFIG)), md(f(TITLE)), publishing.setup_cell(), code(f(SETUP)), md(f(RECAP)),
        raw(f("# BEGIN QUESTION\nname: <<exercise>>\npoints: 1")), md(f(EXERCISE)),
        raw("# BEGIN SOLUTION"), code(f(SOLUTION)), raw("# END SOLUTION"),
        raw("# BEGIN TESTS"), code(f(PUBLIC_TEST)), code(f(HIDDEN_TEST)), raw("# END TESTS"),
        raw("# END QUESTION"),
        md(f(PROOF_TEXT)), code(f(PROOF)), md(f(EXPLORE_TEXT)), code(f(EXPLORER)),
        md(f(EXPERIMENT_TEXT)), code(f(EXPERIMENT)), md(f(SUMMARY)), answers, md(f(FURTHER)),
    ]
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                       "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python"}
    return nbformat.writes(notebook) + "\n"


# ---------------------------------------------------------------------------------------
# The package: reference, checks and their tests
# ---------------------------------------------------------------------------------------

REFERENCE_HEADER = '''\
"""Chapter <<n>>'s equations in numpy (written by tools/new_chapter.py as an example).

The lab uses these after its exercises, and the checks in seqbook/checks/<<topic>>.py
take their right answers from them. Each exercise's answer is here, as the same code as
its solution in the master (tests/test_one_source.py proves it).
"""

import numpy as np
'''

# The package function is the master's solution, marker lines dropped: one source.
REFERENCE = REFERENCE_HEADER + "\n\n" + "\n".join(
    line for line in SOLUTION.splitlines()
    if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION")) + "\n"

CHECKS = '''\
"""Checks for Chapter <<n>>'s exercises: <<exercise>>.

Written by tools/new_chapter.py as an example, to be replaced. Every exercise has a
pair of checks: ``*_public``, run by the student's check cell, and ``*_hidden``, run only
when an instructor grades, with more shapes and edge cases. A check raises
``ExerciseFailure`` with a message that names the typical mistake the answer matches,
and returns None when the answer is right. The right answers come from
seqbook/reference/<<topic>>.py; the mistakes are rebuilt here, so a message can name one.
"""

import numpy as np

from seqbook.checks import ExerciseFailure, call_student, diagnose, expect_array
from seqbook.reference import <<topic>> as reference

NAME = "<<exercise>>"


def _mistakes(xs):
    """What the typical wrong versions of equation (<<n>>.1) return, by message."""
    right = reference.<<exercise>>(xs)
    sums = np.cumsum(xs, axis=1)
    late = np.concatenate([np.zeros_like(xs[:, :1]), right[:, :-1]], axis=1)
    return {
        "the values are running sums, not means: divide the sum of steps 1 to t by t.": sums,
        "every step is divided by the sequence length T: step t has read only t inputs, "
        "so divide by t (np.arange(1, T + 1)).": sums / xs.shape[1],
        "every step holds the mean of the whole sequence: step t may only average the "
        "inputs up to t (np.cumsum, not np.mean).":
            np.repeat(xs.mean(axis=1, keepdims=True), xs.shape[1], axis=1),
        "the means are one step late: m_t includes x_t itself.": late,
        "the sum runs along the wrong axis: time is axis 1 of xs, shaped (B, T, D).":
            np.cumsum(xs, axis=2) / np.arange(1, xs.shape[2] + 1)[None, None, :],
    }


def _check(student, xs, what):
    before = xs.copy()
    result = call_student(student, xs, name=NAME)
    if not np.array_equal(xs, before):
        raise ExerciseFailure(f"{what}: {NAME} changed its input xs. Compute a new array "
                              "(np.cumsum(xs, axis=1) does) instead of writing into xs.")
    result = expect_array(result, xs.shape, f"{what}: the result")
    diagnose(result, reference.<<exercise>>(xs), _mistakes(xs), what)


def <<exercise>>_public(student):
    """One batch: 2 sequences of 4 steps with 3 features."""
    rng = np.random.default_rng(0)
    _check(student, rng.standard_normal((2, 4, 3)), "2 sequences of 4 steps, 3 features")


def <<exercise>>_hidden(student):
    """Other shapes, down to a single step of a single feature."""
    rng = np.random.default_rng(1)
    for batch, steps, features in [(1, 1, 1), (3, 7, 2), (5, 20, 4)]:
        _check(student, rng.standard_normal((batch, steps, features)),
               f"{batch} sequence(s) of {steps} step(s), {features} feature(s)")
'''

CHECKS_TESTS = '''\
"""Tests for seqbook.checks.<<topic>>: the reference passes, wrong answers fail.

The untouched stub and each typical wrong answer fail with a message that names the
mistake."""

import numpy as np
import pytest

from seqbook.checks import <<topic>> as checks
from seqbook.reference import <<topic>> as reference

CHECKS = {
    "public": checks.<<exercise>>_public,
    "hidden": checks.<<exercise>>_hidden,
}


def untouched(xs):
    ...


def in_place(xs):
    np.cumsum(xs, axis=1, out=xs)
    xs /= np.arange(1, xs.shape[1] + 1)[None, :, None]
    return xs


WRONG = {  # a typical wrong answer, and words its message must contain
    "running sums": (lambda xs: np.cumsum(xs, axis=1), "running sums, not means"),
    "divided by T": (lambda xs: np.cumsum(xs, axis=1) / xs.shape[1], "sequence length T"),
    "whole mean": (lambda xs: np.repeat(xs.mean(axis=1, keepdims=True), xs.shape[1], axis=1),
                   "mean of the whole sequence"),
    "wrong axis": (lambda xs: np.cumsum(xs, axis=2) / np.arange(1, xs.shape[2] + 1),
                   "wrong axis"),
    "writes into xs": (in_place, "changed its input"),
    "untouched stub": (untouched, "Replace the `...`"),
}


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_the_reference_passes(kind):
    assert CHECKS[kind](reference.<<exercise>>) is None


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_a_wrong_answer_fails_with_a_message_that_names_it(mistake, kind):
    answer, words = WRONG[mistake]
    with pytest.raises(AssertionError) as failure:
        CHECKS[kind](answer)
    assert words in str(failure.value)
'''


# ---------------------------------------------------------------------------------------
# _toc.yml
# ---------------------------------------------------------------------------------------


def toc_with_chapter(text, chapter):
    """``_toc.yml``'s text with the chapter appended to the end of its Chapters part."""
    lines = text.splitlines()
    start = next((index for index, line in enumerate(lines)
                  if re.fullmatch(r"\s*- caption:\s*Chapters\s*", line)), None)
    if start is None:
        raise ScaffoldError("_toc.yml has no part with 'caption: Chapters': add the chapter "
                            f"to it by hand ('- file: book/{chapter}' with the section "
                            f"'- file: lessons/{chapter}')")
    part_indent = len(lines[start]) - len(lines[start].lstrip())
    end = next((index for index in range(start + 1, len(lines))
                if lines[index].strip() and not lines[index].lstrip().startswith("#")
                and len(lines[index]) - len(lines[index].lstrip()) <= part_indent),
               len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    entries = [line for line in lines[start + 1:end] if line.lstrip().startswith("- file:")]
    indent = " " * (len(entries[0]) - len(entries[0].lstrip()) if entries else part_indent + 4)
    block = [f"{indent}- file: book/{chapter}", f"{indent}  sections:",
             f"{indent}    - file: lessons/{chapter}"]
    result = "\n".join(lines[:end] + block + lines[end:]) + "\n"
    yaml.safe_load(result)  # still YAML
    return result


# ---------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------


def plan(root, chapter, title=None, exercise=None):
    """The values and the files of a new chapter; ``ScaffoldError`` if it cannot be made."""
    match = CHAPTER_ID.fullmatch(chapter)
    if not match:
        raise ScaffoldError(f"{chapter!r} is not a chapter id: use NN_topic, two digits and a "
                            "lower-case Python name, e.g. 05_transformer")
    number, topic = match.groups()
    exercise = exercise or f"{topic}_running_mean"
    for name, what in [(topic, "topic"), (exercise, "exercise")]:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ScaffoldError(f"the {what} name {name!r} is not a Python name")
    existing = sorted(
        [str(path.relative_to(root)) for folder, pattern in
         [("book", f"{number}_*.md"), ("solutions", f"{number}*.ipynb"),
          ("lessons", f"{number}*.ipynb")] for path in (root / folder).glob(pattern)]
        + [f"_toc.yml: {found}" for found in re.findall(
            rf"file:\s*((?:book|lessons)/{number}\S*)", (root / "_toc.yml").read_text())])
    if existing:
        raise ScaffoldError(f"chapter {number} already exists ({', '.join(existing)}): "
                            "pick the next free number; to change a chapter, edit its "
                            "master and run tools/make_lessons.py")
    bib = (root / "book" / "references.bib").read_text()
    keys = re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", bib, re.M)
    if not keys:
        raise ScaffoldError("book/references.bib has no entry for the reading to cite")
    values = {"chapter": chapter, "n": int(number), "topic": topic, "exercise": exercise,
              "Title": title or topic.replace("_", " ").capitalize(),
              "cite": "elman1990" if "elman1990" in keys else keys[0]}
    values["title"] = values["Title"][:1].lower() + values["Title"][1:]
    makers = {
        f"book/{chapter}.md": lambda: fill(READING, values),
        f"book/figures/{chapter}.svg": lambda: FIGURE,
        f"solutions/{chapter}.ipynb": lambda: master_notebook(values),
        f"seqbook/reference/{topic}.py": lambda: fill(REFERENCE, values),
        f"seqbook/checks/{topic}.py": lambda: fill(CHECKS, values),
        f"tests/checks/test_{topic}.py": lambda: fill(CHECKS_TESTS, values),
        f"seqbook/views/js/{topic}.js": lambda: fill(JS_EXPLORER, values),
        f"tests/js/test_{topic}.py": lambda: fill(JS_TEST, values),
    }
    taken = [name for name in makers if (root / name).exists()]
    if taken:
        raise ScaffoldError(f"{', '.join(taken)} already exist(s): choose another topic name "
                            "than " + repr(topic))
    toc = toc_with_chapter((root / "_toc.yml").read_text(), chapter)
    files = {name: make() for name, make in makers.items()}
    files["_toc.yml"] = toc
    return values, files


NEXT_STEPS = """
Next steps (README, "Adding a chapter"):
  1. Write the reading book/<<chapter>>.md; put its sources in book/references.bib.
  2. Write the lab in solutions/<<chapter>>.ipynb (the master; never edit lessons/): at
     least 4 exercises in all, each with a public and a # HIDDEN test.
  3. Write each exercise's checks in seqbook/checks/<<topic>>.py, the equations in
     seqbook/reference/<<topic>>.py, and test them in tests/checks/test_<<topic>>.py.
  4. Move the explorer into seqbook/views/explorers.py; its JavaScript is in
     seqbook/views/js/<<topic>>.js, checked by tests/js/test_<<topic>>.py.
  5. Add a typical wrong answer per exercise to WRONG_ANSWERS in tests/course/test_grading.py.
  6. Generate the lesson: .venv/bin/python tools/make_lessons.py <<chapter>><<done>>
  7. Check the chapter: .venv/bin/python -m pytest tests/test_chapter_contract.py -k <<number>>
  8. Then python3 tools/run.py test and .venv/bin/ruff check . before committing."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", help="the new chapter's id, NN_topic, e.g. 05_transformer")
    parser.add_argument("--title", help="the chapter's title (default: from the topic)")
    parser.add_argument("--exercise", help="the example exercise's name "
                        "(default: TOPIC_running_mean)")
    parser.add_argument("--execute", action="store_true",
                        help="then generate the lesson: run tools/make_lessons.py CHAPTER")
    args = parser.parse_args(argv)
    try:
        values, files = plan(ROOT, args.chapter, args.title, args.exercise)
    except ScaffoldError as error:
        print(f"new_chapter: {error}", file=sys.stderr)
        return 1
    for name, text in files.items():
        path = ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(("appended to " if name == "_toc.yml" else "wrote ") + name)
    done = ""
    if args.execute:
        start = time.perf_counter()
        completed = subprocess.run([sys.executable, str(ROOT / "tools" / "make_lessons.py"),
                                    args.chapter], cwd=ROOT)
        if completed.returncode != 0:
            print("new_chapter: tools/make_lessons.py failed (above); fix the master and run "
                  "it again", file=sys.stderr)
            return completed.returncode
        print(f"generated lessons/{args.chapter}.ipynb in {time.perf_counter() - start:.0f} s")
        done = " (done once by --execute; again after every change)"
    print(fill(NEXT_STEPS, {**values, "number": args.chapter[:2], "done": done}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
