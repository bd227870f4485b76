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
