"""seqbook.course.wire and seqbook.course.link: only plain data crosses, and no bytes a
submission sends make the grader build anything else."""

import os
import random
import threading
import time

import numpy as np
import pytest
import torch

from seqbook.course import link, wire


def roundtrip(value):
    data, _ = wire.encode(value)
    return wire.decode(data)[0]


def test_plain_values_come_back_equal_and_of_the_plain_classes():
    value = {"none": None, "stub": ..., "flags": [True, False], "big": 10**40, "x": -1.5,
             "text": "h\u00e9", "pair": (np.arange(6.0).reshape(2, 3), np.int64(7)),
             "mask": np.array([[True, False]]), "scalar": np.float32(2.5)}
    back = roundtrip(value)
    assert back.keys() == value.keys() and back["big"] == 10**40
    assert type(back["pair"]) is tuple and type(back["pair"][0]) is np.ndarray
    assert np.array_equal(back["pair"][0], value["pair"][0])
    assert back["pair"][1] == 7 and type(back["pair"][1]) is np.int64
    assert back["scalar"].dtype == np.float32 and back["mask"].dtype == bool
    assert back["stub"] is Ellipsis and back["none"] is None


def test_a_tensor_is_rebuilt_as_a_tensor():
    back = roundtrip(torch.arange(4.0, requires_grad=True) * 2)
    assert type(back) is torch.Tensor and torch.equal(back, torch.arange(4.0) * 2)


class MagicEqual:
    def __eq__(self, other):
        return True


class Always(np.ndarray):
    pass


@pytest.mark.parametrize("value, words", [
    (MagicEqual(), "a MagicEqual object"),
    (np.zeros(3).view(Always), "a subclass of numpy.ndarray"),
    (np.array([object()]), "dtype object"),
    ({1: 2}, "key of type int"),
    ([[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]], "nested"),
    (np.zeros(wire.MAX_BYTES // 8 + 1), "larger than"),
    (print, "a builtin_function_or_method object"),
])
def test_anything_else_is_refused_by_name(value, words):
    with pytest.raises(wire.NotPlainData, match=words):
        wire.encode(value)


def test_random_and_cut_bytes_give_a_wire_error_never_another_object():
    rng = random.Random(0)
    good, _ = wire.encode({"a": [np.ones((2, 2)), "x", 3, (1.5, None)]})
    samples = [good[:cut] for cut in range(len(good))]
    samples += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
                for _ in range(2000)]
    samples += [b"a" + good[1:], b"x\x07\x00\x00\x00float64", good + b"N"]
    for data in samples:
        try:
            value, _ = wire.decode(data)
        except wire.WireError:
            continue
        assert type(value) in (type(None), bool, int, float, str, list, tuple, dict,
                               np.ndarray, type(...)) or isinstance(value, np.generic)


def test_a_handle_becomes_a_callable_on_the_other_side():
    data, _ = wire.encode([len], handle_of=lambda function: 5)
    back, _ = wire.decode(data, make_callable=lambda handle: ("called", handle))
    assert back == [("called", 5)]
    with pytest.raises(wire.WireError):
        wire.decode(data)  # the grader never turns a handle into anything


def test_the_link_ignores_junk_stale_and_forged_datagrams():
    grader, student = link.pair()
    os.write(student.fileno(), b"junk that is not a datagram of the link")
    link.send(student, 41, {"op": "return", "value": "stale"})  # another number
    student.send(link.HEADER.pack(link.MAGIC, 42, 3, 1) + b"forged chunk")
    student.send(link.HEADER.pack(link.MAGIC, 42, 0, 1) + b"not an encoding")
    big = np.arange(100_000.0)  # several chunks, more than the socket holds at once
    sender = threading.Thread(target=link.send, args=(student, 42, {"op": "return",
                                                                    "value": big}))
    sender.start()
    message, _ = link.receive(grader, 42, deadline=None)
    sender.join()
    assert np.array_equal(message["value"], big)


def test_the_link_times_out_and_sees_the_other_end_close():
    grader, student = link.pair()
    with pytest.raises(link.LinkTimeout):
        link.receive(grader, 1, deadline=0)
    threading.Timer(0.05, student.close).start()
    with pytest.raises(link.LinkClosed):
        link.receive(grader, 1, deadline=None)


def test_drain_throws_away_what_was_sent_before():
    grader, student = link.pair()
    link.send(student, 7, {"op": "return", "value": 1})
    link.drain(grader)
    with pytest.raises(link.LinkTimeout):
        link.receive(grader, 7, deadline=0.05 + time.monotonic())


# --- torch objects: a model and its optimizer, grader -> student, state back -------------


def _model_and_optimizer(kind="adam"):
    from seqbook.models import CharModel

    torch.manual_seed(0)
    model = CharModel(5, 3).double()
    for parameter in model.parameters():
        parameter.grad = torch.ones_like(parameter)
    optimizer = (torch.optim.Adam(model.parameters(), lr=0.01) if kind == "adam"
                 else torch.optim.SGD(model.parameters(), lr=0.1))
    optimizer.step()  # Adam's moments are not zero
    return model, optimizer


def student_roundtrip(value):
    data, sent = wire.encode(value, handle_of=lambda function: 0)
    back, rebuilt = wire.decode(data, make_callable=lambda handle: None)
    return sent, back, rebuilt


@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_a_model_and_its_optimizer_are_rebuilt_on_the_students_side(kind):
    model, optimizer = _model_and_optimizer(kind)
    sent, (model2, optimizer2), rebuilt = student_roundtrip([model, optimizer])
    assert sent == [model, optimizer] and rebuilt == [model2, optimizer2]
    assert type(model2) is type(model) and model2 is not model
    for mine, theirs in zip(model.parameters(), model2.parameters()):
        assert torch.equal(mine, theirs) and torch.equal(mine.grad, theirs.grad)
        assert theirs.dtype == torch.float64
    assert optimizer2.param_groups[0]["params"] == list(model2.parameters())
    # one more step on each side does the same
    optimizer.step()
    optimizer2.step()
    for mine, theirs in zip(model.parameters(), model2.parameters()):
        assert torch.equal(mine, theirs)


def test_what_a_call_did_to_a_model_comes_back_into_the_graders_objects():
    model, optimizer = _model_and_optimizer()
    _, (model2, optimizer2), _ = student_roundtrip([model, optimizer])
    with torch.no_grad():
        next(model2.parameters()).add_(1.0)
    next(model2.parameters()).grad = None
    optimizer2.step()
    for old, new in [(model, model2), (optimizer, optimizer2)]:
        data, _ = wire.encode(wire.object_state(new))  # plain data only
        wire.load_object_state(old, wire.decode(data)[0])
    assert next(model.parameters()).grad is None
    for mine, theirs in zip(model.parameters(), model2.parameters()):
        assert torch.equal(mine, theirs)
    assert torch.equal(optimizer.state_dict()["state"][1]["exp_avg"],
                       optimizer2.state_dict()["state"][1]["exp_avg"])


def test_a_state_that_does_not_fit_is_refused_and_changes_nothing():
    model, _ = _model_and_optimizer()
    before = [p.detach().clone() for p in model.parameters()]
    good = wire.object_state(model)
    for bad in [{"state": {}, "grads": {}}, {"state": dict(good["state"], extra=torch.ones(1)),
                                            "grads": {}},
                {"state": {k: v[..., :1] for k, v in good["state"].items()}, "grads": {}},
                {"state": {k: v.float() for k, v in good["state"].items()}, "grads": {}},
                "junk"]:
        with pytest.raises(ValueError):
            wire.load_object_state(model, bad)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_torch_objects_go_one_way_only():
    model, optimizer = _model_and_optimizer()
    with pytest.raises(wire.NotPlainData, match="CharModel object"):
        wire.encode(model)  # the student's side cannot send one
    with pytest.raises(wire.NotPlainData, match="not those of a module sent before"):
        wire.encode([optimizer], handle_of=lambda function: 0)
    data, _ = wire.encode([model], handle_of=lambda function: 0)
    with pytest.raises(wire.WireError):
        wire.decode(data)  # the grader never rebuilds one


def test_a_class_that_may_not_cross_is_never_built():
    model, _ = _model_and_optimizer()
    data, _ = wire.encode([model], handle_of=lambda function: 0)
    name = b"seqbook.models.language.CharModel"
    forged = data.replace(name, b"subprocess.Popen" + b" " * (len(name) - 16))
    with pytest.raises(wire.WireError):
        wire.decode(forged, make_callable=lambda handle: None)


def _seq2seq_and_optimizer(kind="attention"):
    from seqbook.models import seq2seq

    torch.manual_seed(0)
    model = seq2seq.make_model(kind, 7, 6, embed_size=3, hidden_size=4, attention_size=2,
                               score="general" if kind == "attention" else "additive")
    for parameter in model.parameters():
        parameter.grad = torch.full_like(parameter, 0.5)
    return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_an_encoder_decoder_is_rebuilt_by_make_model_on_the_students_side(kind):
    model, optimizer = _seq2seq_and_optimizer(kind)
    _, (model2, optimizer2), _ = student_roundtrip([model, optimizer])
    assert type(model2) is type(model) and model2 is not model
    assert model2.init_args == model.init_args
    src, tgt_in = torch.tensor([[4, 5, 6]]), torch.tensor([[1, 4]])
    torch.testing.assert_close(model2(src, torch.tensor([3]), tgt_in)[0],
                               model(src, torch.tensor([3]), tgt_in)[0], rtol=0, atol=0)
    optimizer.step()
    optimizer2.step()
    for mine, theirs in zip(model.parameters(), model2.parameters()):
        assert torch.equal(mine, theirs)
    for old, new in [(model, model2), (optimizer, optimizer2)]:
        data, _ = wire.encode(wire.object_state(new))
        wire.load_object_state(old, wire.decode(data)[0])


def test_a_module_without_init_args_does_not_cross():
    from seqbook.models import seq2seq

    model, _ = _seq2seq_and_optimizer()
    bare = seq2seq.Seq2Seq(model.encoder, model.decoder)  # not built by make_model
    with pytest.raises(wire.NotPlainData, match="without the init_args"):
        wire.encode([bare], handle_of=lambda function: 0)
