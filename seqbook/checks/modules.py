"""A check's torch model and optimizer, written down as plain data and built from it.

An exercise such as ``seq2seq_training_step(model, optimizer, batch, max_norm)`` takes a
``torch.nn.Module`` and a ``torch.optim.Optimizer``. A check writes each case down as a
*recipe*, a plain dict, so that it can build the same model again and again (once for the
student, once per typical mistake it computes):

- ``model_recipe(options, state, grads)``: :func:`seqbook.models.seq2seq.make_model`'s
  keyword arguments, every parameter's values (float32 arrays, by
  ``named_parameters`` name) and, optionally, gradients already in ``.grad``;
- ``optimizer_recipe(of, kind, options)``: ``torch.optim.<kind>`` over the parameters of
  the model recipe at argument ``of``.

:func:`build_arguments` turns recipes into the objects; the model's parameters share
memory with the recipe's ``state`` arrays, so after an update in place
(``optimizer.step()``) the check reads the updated parameters from the recipe. The student's
function always receives the objects. When an instructor grades, it runs in a process of
its own, and the objects cross to it the one way the book has for torch objects,
``seqbook.course.wire`` (``MODULES``, ``OPTIMIZERS``); what the call did to them comes back
into the grader's objects, and so into the recipe's arrays.

Recipes are built inside ``torch.random.fork_rng``: building one never moves the global
random numbers on.
"""

import numpy as np
import torch

RECIPE = "seqbook: build"  # the key that marks a recipe
BUILDERS = ("seq2seq model", "optimizer")
OPTIMIZERS = ("SGD", "Adam")


def model_recipe(options, state, grads=None):
    """A :func:`~seqbook.models.seq2seq.make_model` model as plain data."""
    recipe = {RECIPE: "seq2seq model", "options": dict(options),
              "state": {name: np.ascontiguousarray(value, dtype=np.float32)
                        for name, value in state.items()}}
    if grads is not None:
        recipe["grads"] = {name: np.ascontiguousarray(value, dtype=np.float32)
                           for name, value in grads.items()}
    return recipe


def optimizer_recipe(of, kind, options):
    """``torch.optim.<kind>(**options)`` over the model built from argument ``of``."""
    if kind not in OPTIMIZERS:
        raise ValueError(f"kind must be one of {OPTIMIZERS}; got {kind!r}")
    return {RECIPE: "optimizer", "of": int(of), "kind": kind, "options": dict(options)}


def is_recipe(value):
    return type(value) is dict and value.get(RECIPE) in BUILDERS


def _build_model(recipe):
    from seqbook.models.seq2seq import make_model

    with torch.random.fork_rng():
        model = make_model(**recipe["options"])
    state, grads = recipe["state"], recipe.get("grads") or {}
    names = [name for name, _ in model.named_parameters()]
    if sorted(names) != sorted(state):
        raise ValueError("the recipe's parameters are not the model's")
    for name, parameter in model.named_parameters():
        parameter.data = torch.from_numpy(state[name])  # shares memory with the recipe
        if name in grads:
            parameter.grad = torch.from_numpy(np.array(grads[name], dtype=np.float32))
    return model


def build_arguments(args, kwargs):
    """``(args, kwargs)`` with every recipe among the positional arguments built: models
    first, then the optimizers over them. Anything else is passed on unchanged."""
    args = list(args)
    if not any(is_recipe(value) for value in args):
        return args, kwargs
    built = list(args)
    for index, value in enumerate(args):
        if is_recipe(value) and value[RECIPE] == "seq2seq model":
            built[index] = _build_model(value)
    for index, value in enumerate(args):
        if is_recipe(value) and value[RECIPE] == "optimizer":
            model = built[value["of"]]
            optimizer = getattr(torch.optim, value["kind"])
            built[index] = optimizer(model.parameters(), **value["options"])
    return built, kwargs


def runs_elsewhere(student):
    """True when ``student`` is the grader's stand-in for a function in another process
    (``seqbook.course.proxy.RemoteFunction``): what it returns has crossed as plain data
    (a tensor without its graph)."""
    return bool(getattr(student, "in_another_process", False))


def arguments_for(student, *args):
    """The arguments to call ``student`` with: every recipe built into its object."""
    return build_arguments(args, {})[0]
