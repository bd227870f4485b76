"""Tests for seqbook.checks.modules: a model and its optimizer as recipes, built into the
objects the student's function gets, whose in-place updates land in the recipe."""

import numpy as np
import torch

from seqbook.checks import modules
from seqbook.models import seq2seq


def recipe(grads=False):
    options = {"kind": "attention", "source_vocab_size": 7, "target_vocab_size": 6,
               "embed_size": 3, "hidden_size": 4, "attention_size": 2}
    torch.manual_seed(0)
    model = seq2seq.make_model(**options)
    state = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    fills = {name: np.ones_like(value) for name, value in state.items()} if grads else None
    return model, modules.model_recipe(options, state, fills)


def test_a_built_model_computes_what_the_original_does_and_shares_the_recipes_memory():
    original, plan = recipe()
    [model] = modules.build_arguments([plan], {})[0]
    src = torch.tensor([[4, 5, 6]])
    tgt_in = torch.tensor([[1, 4]])
    torch.testing.assert_close(model(src, torch.tensor([3]), tgt_in)[0],
                               original(src, torch.tensor([3]), tgt_in)[0])
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    name = next(iter(dict(model.named_parameters())))
    assert np.allclose(plan["state"][name], dict(original.named_parameters())[name]
                       .detach().numpy() + 1.0)


def test_an_optimizer_built_over_the_model_updates_the_recipe_in_place():
    _, plan = recipe(grads=True)
    before = {name: value.copy() for name, value in plan["state"].items()}
    model, optimizer, other = modules.build_arguments(
        [plan, modules.optimizer_recipe(0, "SGD", {"lr": 0.1}), 3.5], {})[0]
    assert other == 3.5 and isinstance(optimizer, torch.optim.SGD)
    optimizer.step()  # .grad was filled with ones by the recipe
    for name, value in plan["state"].items():
        np.testing.assert_allclose(value, before[name] - 0.1, rtol=1e-6)


def test_building_leaves_the_random_numbers_alone():
    _, plan = recipe()
    torch.manual_seed(1)
    state = torch.get_rng_state()
    modules.build_arguments([plan], {})
    assert torch.equal(state, torch.get_rng_state())


def test_arguments_for_builds_the_objects_wherever_the_function_runs():
    """The student's function always gets a model: in grading, the wire carries it."""
    from seqbook.course.proxy import RemoteFunction

    _, plan = recipe()
    for student in (lambda *args: None, RemoteFunction(None, "f")):
        built = modules.arguments_for(student, plan, 1)
        assert isinstance(built[0], torch.nn.Module) and built[1] == 1
        assert built[0].init_args == plan["options"] | {
            "reverse_source": False, "zero_v": False, "bidirectional": True,
            "score": "additive", "decoder_size": 4}


def test_plain_arguments_pass_unchanged():
    args = [np.zeros(2), {"seqbook": "not a recipe"}]
    assert modules.build_arguments(args, {"a": 1})[0] is not None
    assert modules.build_arguments(args, {})[0][1] == {"seqbook": "not a recipe"}


def test_the_graders_stand_in_is_known_to_run_elsewhere():
    from seqbook.course.proxy import RemoteFunction

    assert modules.runs_elsewhere(RemoteFunction(None, "f"))
