"""The package's folders are its architecture: a layer imports only the layers below it.

    lab, progress   foundations: seeding, CPU code paths and progress bars
    reference       the book's equations in numpy
    tasks           the data the book trains on
    models          torch models and the one training loop
    views           plots and explorers
    checks          the exercise checks
    course          instructor tooling: assign, grade, lessons

Every ``import seqbook...`` in a module, at the top or inside a function, is read from its
source, so a lazy import cannot hide an upward dependency.
"""

import ast

import pytest

from tests.conftest import ROOT

LAYERS = ["foundation", "reference", "tasks", "models", "views", "checks", "course"]
FOUNDATION = {"lab", "progress", "__init__"}
# reference is numpy only: it may not import torch, matplotlib or widgets.
NUMPY_ONLY = {"reference"}


def layer_of(module):
    """The layer of ``seqbook.x.y`` (``"foundation"`` for top-level modules)."""
    parts = module.split(".")
    if module == "seqbook.__main__":  # ``python -m seqbook`` is the course's command line
        return "course"
    if len(parts) == 1 or parts[1] in FOUNDATION:
        return "foundation"
    return parts[1]


def module_name(path):
    relative = path.relative_to(ROOT).with_suffix("")
    return ".".join(relative.parts)


def imports_of(path):
    """Every module name imported anywhere in the file."""
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


MODULES = sorted((ROOT / "seqbook").rglob("*.py"))


def test_every_module_is_in_a_layer():
    for path in MODULES:
        assert layer_of(module_name(path)) in LAYERS, (
            f"{path.relative_to(ROOT)} is in no layer: put it in one of {LAYERS[1:]} "
            "or list it as a foundation module in tests/test_layers.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_imports_a_higher_layer(path):
    here = layer_of(module_name(path))
    for name in imports_of(path):
        if not name.startswith("seqbook.") or name.split(".")[1] in FOUNDATION:
            continue
        there = layer_of(name)
        if there not in LAYERS:  # ``from seqbook import reference`` names a layer itself
            continue
        assert LAYERS.index(there) <= LAYERS.index(here), (
            f"{path.relative_to(ROOT)} ({here}) imports {name} ({there}), a higher layer: "
            "move the shared piece down, or the importing code up")
    if here in NUMPY_ONLY:
        third_party = {name.split(".")[0] for name in imports_of(path)}
        assert not third_party & {"torch", "matplotlib", "ipywidgets"}, (
            f"{path.relative_to(ROOT)} is in the numpy-only reference layer but imports "
            f"{sorted(third_party & {'torch', 'matplotlib', 'ipywidgets'})}")


def test_the_layer_rule_can_fail(tmp_path):
    """The check sees an upward import, so it cannot pass vacuously."""
    module = tmp_path / "bad.py"
    module.write_text("from seqbook.views import plots\n")
    assert "seqbook.views" in imports_of(module)
    assert LAYERS.index(layer_of("seqbook.views.plots")) > LAYERS.index("reference")
