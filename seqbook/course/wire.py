"""Plain data across the boundary between the grader and a student's process.

The grader never unpickles anything a submission sends. Values cross as a small, explicit
binary encoding of exactly these types:

- ``None``, ``...``, ``bool``, ``int``, ``float``, ``str``;
- ``list``, ``tuple`` and ``dict`` with ``str`` keys, nested at most ``MAX_DEPTH`` deep;
- numpy arrays and numpy scalars whose dtype is in ``DTYPES`` (shape and raw bytes);
- torch tensors, sent as their numpy array and rebuilt as a tensor by the receiver;
- handles: a callable the grader passes as an argument (a check's scripted decoder step)
  is sent as a number; the other side gets a stand-in that calls back;
- torch objects the grader passes as arguments (the training steps of Chapters 1 and 4
  take a model and its optimizer): a module of a class in ``MODULES`` crosses as its
  class's name, its ``init_args`` (rebuilt by the builder ``MODULES`` names), dtype,
  mode, state and gradients, an optimizer of a class in
  ``OPTIMIZERS`` as its class's name, the module whose parameters it updates (sent in the
  same call), its hyperparameters and its state; the student's side builds fresh ones
  (``rebuild_object``). Like handles they go one way: only the grader encodes them and
  only the student's side decodes them. What the call did to them comes back as plain
  data (``object_state``), which the grader copies into its own objects
  (``load_object_state``), as it does for changed arrays.

Only these exact classes are encoded: a subclass of ``ndarray`` or ``tuple``, or any other
object, raises ``NotPlainData`` naming it ("a MagicEqual object"). ``decode`` builds fresh
objects of the plain classes only, checks every length against what is left of the input
and refuses more than ``MAX_BYTES``, so whatever bytes a submission sends, the grader gets
plain values or a ``WireError``.
"""

import re
import struct

import numpy as np

MAX_BYTES = 16 * 2**20  # largest encoded value either side accepts
MAX_DEPTH = 20
MAX_NDIM = 32
DTYPES = frozenset(["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                    "uint64", "float16", "float32", "float64"])
PLAIN = "numpy arrays, numbers, strings, lists, tuples or dicts of them"

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")
_INTEGER = re.compile(r"-?[0-9]{1,4000}")


class WireError(ValueError):
    """Bytes that are not a valid encoding (or are too large)."""


class NotPlainData(TypeError):
    """A value that is not plain data; ``what`` names it, e.g. "a MagicEqual object"."""

    def __init__(self, what):
        super().__init__(f"{what} is not plain data: use {PLAIN}")
        self.what = what


def describe(value):
    """"a MagicEqual object", "a MaskedArray object (a subclass of numpy.ndarray)"."""
    kind = type(value)
    for base, name in ((np.ndarray, "numpy.ndarray"), (tuple, "tuple"), (list, "list"),
                       (dict, "dict"), (float, "float"), (int, "int"), (str, "str")):
        if isinstance(value, base) and kind is not base:
            return f"a {kind.__name__} object (a subclass of {name})"
    return f"a {kind.__name__} object"


def _torch_tensor_class():
    import sys

    torch = sys.modules.get("torch")
    return torch.Tensor if torch is not None else None


# the torch modules the grader may pass, by module and qualified name, each with what
# builds one from its ``init_args`` on the student's side: Chapter 1's name model (its
# class) and Chapter 4's encoder-decoders (``make_model``, which records its arguments)
MODULES = {
    "seqbook.models.language.CharModel": "seqbook.models.language.CharModel",
    "seqbook.models.seq2seq.Seq2Seq": "seqbook.models.seq2seq.make_model",
}
OPTIMIZERS = frozenset(["torch.optim.sgd.SGD", "torch.optim.adam.Adam"])
OBJECT_DTYPES = frozenset(["float32", "float64"])


def _class_name(value):
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _torch_object_kind(value):
    """"module" or "optimizer" for an object of an allowed class, else None."""
    name = _class_name(value)
    if name in MODULES:
        return "module"
    if name in OPTIMIZERS:
        return "optimizer"
    return None


def _module_recipe(module):
    if not isinstance(getattr(module, "init_args", None), dict):
        raise NotPlainData(f"a {type(module).__name__} without the init_args it was built "
                           "from (build it with its class or make_model)")
    parameters = dict(module.named_parameters())
    dtypes = {str(p.dtype).removeprefix("torch.") for p in parameters.values()}
    if len(dtypes) != 1 or not dtypes <= OBJECT_DTYPES:
        raise NotPlainData(f"a {type(module).__name__} whose parameters are {sorted(dtypes)}")
    return {"init_args": dict(module.init_args), "dtype": dtypes.pop(),
            "training": bool(module.training), **object_state(module)}


def _optimizer_recipe(optimizer, modules):
    if len(optimizer.param_groups) != 1:
        raise NotPlainData("an optimizer with more than one parameter group")
    group = optimizer.param_groups[0]
    for index, module in enumerate(modules):
        parameters = list(module.parameters())
        if len(parameters) == len(group["params"]) and all(
                a is b for a, b in zip(parameters, group["params"])):
            return {"module": index, **object_state(optimizer)}
    raise NotPlainData("an optimizer whose parameters are not those of a module sent "
                       "before it in the same call")


def object_state(value):
    """What a call may change in a torch object, as plain data: a module's parameters and
    buffers (``"state"``) and gradients (``"grads"``), an optimizer's hyperparameters
    (``"hyper"``) and its state per parameter (``"state"``, in the parameters' order)."""
    if _torch_object_kind(value) == "module":
        return {"state": dict(value.state_dict()),
                "grads": {name: p.grad.detach() for name, p in value.named_parameters()
                          if p.grad is not None}}
    group = value.param_groups[0]
    return {"hyper": {key: item for key, item in group.items() if key != "params"},
            "state": [dict(value.state.get(p, {})) for p in group["params"]]}


def _copy_module_state(module, data):
    """Copy plain ``data`` (``object_state``'s) into ``module``; ValueError when its names,
    shapes or dtypes are not the module's own."""
    import torch

    state, grads = data.get("state"), data.get("grads")
    own = module.state_dict()
    if not isinstance(state, dict) or not isinstance(grads, dict) or set(state) != set(own):
        raise ValueError("not this module's state")
    parameters = dict(module.named_parameters())
    checks = [(name, tensor, own.get(name)) for name, tensor in state.items()]
    checks += [(name, tensor, parameters.get(name)) for name, tensor in grads.items()]
    for name, tensor, like in checks:
        if (type(tensor) is not torch.Tensor or like is None or tensor.shape != like.shape
                or tensor.dtype != like.dtype):
            raise ValueError(f"not this module's {name}")
    with torch.no_grad():
        for name, tensor in state.items():
            own[name].copy_(tensor)
    for name, parameter in parameters.items():
        parameter.grad = grads[name].clone() if name in grads else None


def _copy_optimizer_state(optimizer, data):
    """Load plain ``data`` (``object_state``'s) into ``optimizer``; ValueError when it
    does not fit."""
    hyper, state = data.get("hyper"), data.get("state")
    count = len(optimizer.param_groups[0]["params"])
    if not isinstance(hyper, dict) or not isinstance(state, list) or len(state) != count:
        raise ValueError("not this optimizer's state")
    if "params" in hyper or set(hyper) != set(optimizer.param_groups[0]) - {"params"}:
        raise ValueError("not this optimizer's hyperparameters")
    try:
        optimizer.load_state_dict({
            "state": {index: dict(item) for index, item in enumerate(state) if item},
            "param_groups": [dict(hyper, params=list(range(count)))]})
    except (KeyError, TypeError, RuntimeError, AttributeError) as error:
        raise ValueError(f"not this optimizer's state: {error}") from None


def load_object_state(value, data):
    """Copy what a call did to a torch object (``object_state``'s plain data) into the
    grader's own ``value``; ValueError, leaving a module unchanged, when it does not fit."""
    if not isinstance(data, dict):
        raise ValueError("not an object's state")
    if _torch_object_kind(value) == "module":
        _copy_module_state(value, data)
    else:
        _copy_optimizer_state(value, data)


def rebuild_object(kind, name, recipe, modules):
    """A fresh module or optimizer of an allowed class from its recipe (the student's
    side of a call). ``modules``: the modules rebuilt before it in the same call."""
    import importlib

    import torch

    if not isinstance(recipe, dict):
        raise WireError(f"a {kind} without its recipe")
    allowed = MODULES if kind == "module" else OPTIMIZERS
    if name not in allowed:
        raise WireError(f"{name!r} is not a class that may cross")
    builder = MODULES[name] if kind == "module" else name
    module_name, _, class_name = builder.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    try:
        if kind == "module":
            if recipe.get("dtype") not in OBJECT_DTYPES:
                raise WireError("a module of another dtype")
            with torch.random.fork_rng():  # the student's random numbers stay theirs
                built = cls(**recipe["init_args"]).to(getattr(torch, recipe["dtype"]))
            built.train(bool(recipe["training"]))
            _copy_module_state(built, recipe)
            return built
        index = recipe.get("module")
        if not isinstance(index, int) or not 0 <= index < len(modules):
            raise WireError("an optimizer of no module")
        built = cls(modules[index].parameters(), **recipe["hyper"])
        _copy_optimizer_state(built, recipe)
        return built
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise WireError(f"a {kind} that cannot be rebuilt: {error}") from None


class _Encoder:
    def __init__(self, handle_of):
        self.parts, self.size, self.arrays, self.modules = [], 0, [], []
        self.handle_of = handle_of

    def put(self, data):
        self.size += len(data)
        if self.size > MAX_BYTES:
            raise NotPlainData(f"a value larger than {MAX_BYTES // 2**20} MB")
        self.parts.append(data)

    def text(self, tag, text):
        data = text.encode("utf-8", "surrogatepass")
        self.put(tag + _U32.pack(len(data)) + data)

    def array(self, tag, array):
        name = array.dtype.name
        if name not in DTYPES:
            raise NotPlainData(f"an array of dtype {name}")
        array = np.asarray(array, order="C")  # (ascontiguousarray makes 0-d arrays 1-d)
        self.text(tag, name)
        self.put(bytes([array.ndim]) + b"".join(_U64.pack(n) for n in array.shape))
        data = array.tobytes()
        self.put(_U64.pack(len(data)))
        self.put(data)

    def value(self, value, depth=0):
        if depth > MAX_DEPTH:
            raise NotPlainData(f"data nested more than {MAX_DEPTH} deep")
        kind = type(value)
        if value is None:
            self.put(b"N")
        elif value is Ellipsis:
            self.put(b"E")
        elif kind is bool:
            self.put(b"T" if value else b"F")
        elif kind is int:
            self.text(b"i", str(value))
        elif kind is float:
            self.put(b"f" + _F64.pack(value))
        elif kind is str:
            self.text(b"s", value)
        elif kind in (list, tuple):
            self.put((b"l" if kind is list else b"t") + _U32.pack(len(value)))
            for item in value:
                self.value(item, depth + 1)
        elif kind is dict:
            self.put(b"d" + _U32.pack(len(value)))
            for key, item in value.items():
                if type(key) is not str:
                    raise NotPlainData(f"a dict with a key of type {type(key).__name__}")
                self.text(b"s", key)
                self.value(item, depth + 1)
        elif kind is np.ndarray:
            self.arrays.append(value)
            self.array(b"a", value)
        elif isinstance(value, np.generic) and kind.__module__ == "numpy":
            self.array(b"g", np.asarray(value))
        elif self._is_tensor(value):
            self.array(b"x", value.detach().cpu().numpy())
        elif self.handle_of is not None and _torch_object_kind(value) == "module":
            recipe = _module_recipe(value)
            self.text(b"m", _class_name(value))
            self.value(recipe, depth + 1)
            self.modules.append(value)
            self.arrays.append(value)
        elif self.handle_of is not None and _torch_object_kind(value) == "optimizer":
            recipe = _optimizer_recipe(value, self.modules)
            self.text(b"o", _class_name(value))
            self.value(recipe, depth + 1)
            self.arrays.append(value)
        elif callable(value) and self.handle_of is not None:
            self.text(b"h", str(self.handle_of(value)))
        else:
            raise NotPlainData(describe(value))

    @staticmethod
    def _is_tensor(value):
        tensor = _torch_tensor_class()
        return tensor is not None and type(value) is tensor


def encode(value, handle_of=None):
    """The bytes of ``value``; raises ``NotPlainData`` for anything else.

    ``handle_of(callable) -> int`` turns callables into handles (only the grader passes
    it), and only then may allowed torch objects be encoded. Returns ``(bytes, arrays)``:
    ``arrays`` are the numpy arrays and torch objects encoded, in order: what a call may
    change in place.
    """
    encoder = _Encoder(handle_of)
    encoder.value(value)
    return b"".join(encoder.parts), encoder.arrays


class _Decoder:
    def __init__(self, data, make_callable):
        if len(data) > MAX_BYTES:
            raise WireError(f"more than {MAX_BYTES // 2**20} MB")
        self.data, self.at, self.arrays, self.modules = memoryview(data), 0, [], []
        self.make_callable = make_callable

    def take(self, count):
        if count < 0 or self.at + count > len(self.data):
            raise WireError("the data ends too early")
        part = self.data[self.at:self.at + count]
        self.at += count
        return part

    def number(self, kind):
        return kind.unpack(self.take(kind.size))[0]

    def text(self):
        try:
            return bytes(self.take(self.number(_U32))).decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise WireError("a string that is not UTF-8") from None

    def array(self):
        name = self.text()
        if name not in DTYPES:
            raise WireError(f"dtype {name!r} is not allowed")
        ndim = self.take(1)[0]
        if ndim > MAX_NDIM:
            raise WireError(f"an array of {ndim} dimensions")
        shape = tuple(self.number(_U64) for _ in range(ndim))
        dtype = np.dtype(name)
        length = self.number(_U64)
        count = 1
        for size in shape:
            count *= size
        if length != count * dtype.itemsize:
            raise WireError(f"an array of shape {shape} with {length} bytes")
        return np.frombuffer(bytes(self.take(length)), dtype=dtype).reshape(shape).copy()

    def value(self, depth=0):
        if depth > MAX_DEPTH:
            raise WireError(f"data nested more than {MAX_DEPTH} deep")
        tag = bytes(self.take(1))
        simple = {b"N": None, b"E": Ellipsis, b"T": True, b"F": False}
        if tag in simple:
            return simple[tag]
        if tag == b"i":
            text = self.text()
            if not _INTEGER.fullmatch(text):
                raise WireError("an integer that is not one")
            return int(text)
        if tag == b"f":
            return self.number(_F64)
        if tag == b"s":
            return self.text()
        if tag in (b"l", b"t"):
            items = [self.value(depth + 1) for _ in range(self._count())]
            return items if tag == b"l" else tuple(items)
        if tag == b"d":
            result = {}
            for _ in range(self._count()):
                if bytes(self.take(1)) != b"s":
                    raise WireError("a dict key that is not a string")
                key = self.text()
                result[key] = self.value(depth + 1)
            return result
        if tag == b"a":
            array = self.array()
            self.arrays.append(array)
            return array
        if tag == b"g":
            array = self.array()
            if array.shape != ():
                raise WireError("a numpy scalar with a shape")
            return array[()]
        if tag == b"x":
            import torch

            return torch.from_numpy(self.array())
        if tag in (b"m", b"o") and self.make_callable is not None:
            name = self.text()
            kind = "module" if tag == b"m" else "optimizer"
            built = rebuild_object(kind, name, self.value(depth + 1), self.modules)
            if kind == "module":
                self.modules.append(built)
            self.arrays.append(built)
            return built
        if tag == b"h" and self.make_callable is not None:
            text = self.text()
            if not _INTEGER.fullmatch(text) or text.startswith("-"):
                raise WireError("a handle that is not a number")
            return self.make_callable(int(text))
        raise WireError(f"unknown tag {tag!r}")

    def _count(self):
        count = self.number(_U32)
        if count > len(self.data) - self.at:  # every item takes at least one byte
            raise WireError("a count larger than the data")
        return count


def decode(data, make_callable=None):
    """The value encoded in ``data``; ``(value, arrays)`` as ``encode`` returns.

    ``make_callable(handle) -> callable`` rebuilds handles (only the student's side passes
    it), and only then are torch objects rebuilt. Raises ``WireError`` for anything that is
    not a complete, valid encoding.
    """
    decoder = _Decoder(data, make_callable)
    value = decoder.value()
    if decoder.at != len(decoder.data):
        raise WireError("bytes left over after the value")
    return value, decoder.arrays
