"""An ONNX graph evaluated op by op with PyTorch tensors, for models that have no PyTorch module here.

The benchmarks' PyTorch references need the very model Bszo trains. Decoders have their modules in
tools/export; the default model (Universal Sentence Encoder Lite, converted from TensorFlow.js by
Bszo) exists only as ONNX. This module runs such a graph node by node with torch operations, so
that the same initializers become torch Parameters that MeZO can perturb in place and autograd can
differentiate for Adam.

Parameters are the float32 initializers with at least two elements: what `bszo prepare` trains by
default. Everything else (shapes, axes, scalar constants) stays a plain tensor. Only the operators
the supported graphs use are implemented; any other fails with its name.
"""
import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

TORCH_TYPES = {1: torch.float32, 6: torch.int32, 7: torch.int64, 9: torch.bool, 11: torch.float64}


def read_initializers(model, directory):
    """name -> numpy array, external data read from `directory` in bounded chunks."""
    arrays = {}
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            arrays[t.name] = read_external(t, directory)
        else:
            arrays[t.name] = numpy_helper.to_array(t)
    return arrays


def external_info(tensor):
    info = {e.key: e.value for e in tensor.external_data}
    return info["location"], int(info.get("offset", 0)), int(info.get("length", 0))


def np_dtype(data_type):
    # onnx.helper.tensor_dtype_to_np_dtype arrived in onnx 1.13; Debian ships 1.12.
    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):
        return onnx.helper.tensor_dtype_to_np_dtype(data_type)
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[data_type]


def read_external(tensor, directory):
    location, offset, _ = external_info(tensor)
    dtype = np_dtype(tensor.data_type)
    count = int(np.prod(tensor.dims)) if len(tensor.dims) else 1
    return np.fromfile(f"{directory}/{location}", dtype=dtype, count=count, offset=offset).reshape(tuple(tensor.dims))


class OnnxModule(nn.Module):
    """forward(**inputs) -> dict of the graph's outputs."""

    def __init__(self, path):
        super().__init__()
        directory = path.rsplit("/", 1)[0] if "/" in path else "."
        self.graph_model = onnx.load(path, load_external_data=False)
        self.graph = self.graph_model.graph
        self.names = []
        self.weights = nn.ParameterList()
        self.constants = {}
        for name, array in read_initializers(self.graph_model, directory).items():
            tensor = torch.from_numpy(np.array(array, copy=True))
            if tensor.dtype == torch.float32 and tensor.numel() >= 2:
                self.names.append(name)
                self.weights.append(nn.Parameter(tensor))
            else:
                self.constants[name] = tensor
        self.outputs = [o.name for o in self.graph.output]

    def named_weights(self):
        return list(zip(self.names, self.weights))

    def forward(self, **inputs):
        env = dict(self.constants)
        env.update(zip(self.names, self.weights))
        env.update(inputs)
        for node in self.graph.node:
            args = [env[i] if i else None for i in node.input]
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            op = OPS.get(node.op_type)
            if op is None:
                raise NotImplementedError(f"ONNX operator {node.op_type} is not implemented in bench/pytorch/onnx_module.py")
            result = op(args, attrs)
            if isinstance(result, (list, tuple)):
                env.update(zip(node.output, result))
            else:
                env[node.output[0]] = result
        return {name: env[name] for name in self.outputs}


def _ints(t):
    return [int(v) for v in t.reshape(-1).tolist()]


def _slice(args, attrs):
    data, starts, ends = args[0], _ints(args[1]), _ints(args[2])
    axes = _ints(args[3]) if len(args) > 3 and args[3] is not None else list(range(len(starts)))
    steps = _ints(args[4]) if len(args) > 4 and args[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.dim()
    for s, e, a, st in zip(starts, ends, axes, steps):
        size = data.shape[a]
        s = max(0, min(size, s + size if s < 0 else s))
        e = max(0, min(size, e + size if e < 0 else e))
        index[a] = slice(s, e, st)
    return data[tuple(index)]


def _gather(args, attrs):
    data, index = args
    axis = attrs.get("axis", 0) % data.dim()
    index = torch.where(index < 0, index + data.shape[axis], index)
    flat = torch.index_select(data, axis, index.reshape(-1).long())
    return flat.reshape(tuple(data.shape[:axis]) + tuple(index.shape) + tuple(data.shape[axis + 1:]))


def _reshape(args, attrs):
    data, shape = args[0], _ints(args[1])
    if not attrs.get("allowzero", 0):
        shape = [data.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return data.reshape(shape)


def _unsqueeze(args, attrs):
    x = args[0]
    for axis in sorted(a % (x.dim() + len(_ints(args[1]))) for a in _ints(args[1])):
        x = x.unsqueeze(axis)
    return x


def _reduce_sum(args, attrs):
    x = args[0]
    axes = _ints(args[1]) if len(args) > 1 and args[1] is not None else list(range(x.dim()))
    return x.sum(dim=axes, keepdim=bool(attrs.get("keepdims", 1)))


def _split(args, attrs):
    axis = attrs.get("axis", 0)
    return torch.split(args[0], _ints(args[1]), dim=axis)


def _layer_norm(args, attrs):
    x, scale = args[0], args[1]
    bias = args[2] if len(args) > 2 else None
    axis = attrs.get("axis", -1) % x.dim()
    return nn.functional.layer_norm(x, tuple(x.shape[axis:]), scale, bias, attrs.get("epsilon", 1e-5))


def _gemm(args, attrs):
    a, b = args[0], args[1]
    if attrs.get("transA", 0):
        a = a.t()
    if attrs.get("transB", 0):
        b = b.t()
    y = attrs.get("alpha", 1.0) * (a @ b)
    if len(args) > 2 and args[2] is not None:
        y = y + attrs.get("beta", 1.0) * args[2]
    return y


def _max(args, attrs):
    y = args[0]
    for x in args[1:]:
        y = torch.maximum(y, x)
    return y


OPS = {
    "Add": lambda a, _: a[0] + a[1],
    "Sub": lambda a, _: a[0] - a[1],
    "Mul": lambda a, _: a[0] * a[1],
    "Div": lambda a, _: a[0] / a[1],
    "MatMul": lambda a, _: torch.matmul(a[0], a[1]),
    "Relu": lambda a, _: torch.relu(a[0]),
    "Tanh": lambda a, _: torch.tanh(a[0]),
    "Sqrt": lambda a, _: torch.sqrt(a[0]),
    "Sin": lambda a, _: torch.sin(a[0]),
    "Cos": lambda a, _: torch.cos(a[0]),
    "Softmax": lambda a, attrs: torch.softmax(a[0], dim=attrs.get("axis", -1)),
    "Transpose": lambda a, attrs: a[0].permute(attrs["perm"]) if "perm" in attrs else a[0].permute(*reversed(range(a[0].dim()))),
    "Concat": lambda a, attrs: torch.cat(a, dim=attrs["axis"]),
    "Cast": lambda a, attrs: a[0].to(TORCH_TYPES[attrs["to"]]),
    "Shape": lambda a, _: torch.tensor(list(a[0].shape), dtype=torch.int64),
    "Range": lambda a, _: torch.arange(a[0].item(), a[1].item(), a[2].item(), dtype=a[0].dtype),
    "Slice": _slice,
    "Gather": _gather,
    "Reshape": _reshape,
    "Unsqueeze": _unsqueeze,
    "ReduceSum": _reduce_sum,
    "Split": _split,
    "LayerNormalization": _layer_norm,
    "Gemm": _gemm,
    "Max": _max,
}
