"""A NumPy evaluator for ONNX graphs: every node computed in float64 by plain NumPy, in graph order.

It knows the operators of encoder exports such as all-MiniLM-L6-v2 (and a few more); any other
operator is an error naming it. It shares no code with ONNX Runtime, which is the point: tests
compare Bszo's ONNX Runtime results with it."""
import numpy as np
import onnx
from onnx import numpy_helper

FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16}
INT_TYPES = {onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int64, onnx.TensorProto.INT8: np.int64,
             onnx.TensorProto.UINT8: np.int64, onnx.TensorProto.BOOL: np.bool_}


def _array(tensor, directory):
    value = numpy_helper.to_array(tensor, base_dir=directory)
    return value.astype(np.float64) if tensor.data_type in FLOAT_TYPES else value


def _attributes(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _erf(x):
    import torch  # NumPy has no erf; torch's is exact to double precision
    return torch.special.erf(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))).numpy()


def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _slice(data, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else [int(a) for a in axes]
    steps = [1] * len(starts) if steps is None else [int(s) for s in steps]
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[axis] = slice(int(start), int(end), step)
    return data[tuple(index)]


def _reshape(data, shape):
    shape = [data.shape[i] if s == 0 else int(s) for i, s in enumerate(shape)]
    return data.reshape(shape)


def _cast(x, to):
    if to in FLOAT_TYPES:
        return x.astype(np.float64)
    if to in INT_TYPES:
        return x.astype(INT_TYPES[to])
    raise NotImplementedError(f"Cast to ONNX type {to}")


def _gemm(a, b, c=None, alpha=1.0, beta=1.0, transA=0, transB=0):
    y = alpha * (a.T if transA else a) @ (b.T if transB else b)
    return y if c is None else y + beta * c


class Evaluator:
    def __init__(self, model_path):
        self.model = onnx.load(model_path)
        directory = model_path.rsplit("/", 1)[0] if "/" in model_path else "."
        self.initializers = {t.name: _array(t, directory) for t in self.model.graph.initializer}
        self.opset = next(o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx"))

    @property
    def input_names(self):
        return [i.name for i in self.model.graph.input if i.name not in self.initializers]

    def run(self, feeds, outputs):
        values = dict(self.initializers)
        values.update(feeds)
        for node in self.model.graph.node:
            args = [values[name] if name else None for name in node.input]
            results = self._op(node, args, _attributes(node))
            for name, value in zip(node.output, results if isinstance(results, tuple) else (results,)):
                values[name] = value
        return [values[name] for name in outputs]

    def _op(self, node, x, at):
        op = node.op_type
        if op == "Constant":
            return numpy_helper.to_array(at["value"]).astype(np.float64) if at["value"].data_type in FLOAT_TYPES else numpy_helper.to_array(at["value"])
        simple = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Pow": np.power, "Equal": np.equal, "Max": np.maximum, "Min": np.minimum}
        if op in simple:
            return simple[op](x[0], x[1])
        if op == "Div":
            return x[0] // x[1] if np.issubdtype(x[0].dtype, np.integer) else x[0] / x[1]
        unary = {"Sqrt": np.sqrt, "Tanh": np.tanh, "Exp": np.exp, "Neg": np.negative, "Erf": _erf, "Identity": lambda v: v,
                 "Relu": lambda v: np.maximum(v, 0), "Sigmoid": lambda v: 1 / (1 + np.exp(-v)), "Not": np.logical_not}
        if op in unary:
            return unary[op](x[0])
        if op == "MatMul":
            return np.matmul(x[0], x[1])
        if op == "Gemm":
            return _gemm(*x, **at)
        if op == "Gather":
            return np.take(x[0], x[1].astype(np.int64), axis=at.get("axis", 0))
        if op == "Shape":
            return np.array(x[0].shape, dtype=np.int64)
        if op in ("Unsqueeze", "Squeeze"):
            axes = [int(a) for a in (x[1] if len(x) > 1 and x[1] is not None else at.get("axes", []))]
            if op == "Squeeze":
                return np.squeeze(x[0], axis=tuple(axes)) if axes else np.squeeze(x[0])
            result = x[0]
            for axis in sorted(a % (result.ndim + len(axes)) for a in axes):
                result = np.expand_dims(result, axis)
            return result
        if op == "Concat":
            return np.concatenate(x, axis=at["axis"])
        if op == "Reshape":
            return _reshape(x[0], x[1])
        if op == "Transpose":
            return np.transpose(x[0], at.get("perm"))
        if op in ("ReduceMean", "ReduceSum"):
            axes = at.get("axes") if op == "ReduceMean" or self.opset < 13 else (x[1] if len(x) > 1 else None)
            axes = None if axes is None else tuple(int(a) for a in axes)
            return (np.mean if op == "ReduceMean" else np.sum)(x[0], axis=axes, keepdims=bool(at.get("keepdims", 1)))
        if op == "Softmax":
            return _softmax(x[0], at.get("axis", -1))
        if op == "Cast":
            return _cast(x[0], at["to"])
        if op == "Slice":
            return _slice(*x)
        if op == "Where":
            return np.where(x[0], x[1], x[2])
        if op == "Expand":
            return x[0] * np.ones(tuple(int(d) for d in x[1]), dtype=x[0].dtype)
        if op == "ConstantOfShape":
            fill = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1)
            return np.full(tuple(int(d) for d in x[0]), fill.reshape(-1)[0])
        if op == "Range":
            return np.arange(x[0], x[1], x[2])
        raise NotImplementedError(f"the NumPy evaluator has no operator {op} (node {node.name})")
