"""Turns an ExportableModel into an ONNX graph with every parameter in one external data file.

torch.onnx traces the module with its parameters as graph inputs (export_params=False); this file
then moves each distinct parameter into `model.onnx.data` (64-byte aligned) as an initializer named
exactly like the Hugging Face tensor. A tied embedding is one torch Parameter, so it becomes one
initializer read by both the embedding Gather and the LM head. Writing the data ourselves also
sidesteps protobuf's 2 GB limit for large models.
"""
import os
import warnings

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .errors import ExportError

OPSET = 17
ALIGNMENT = 64
SUPPORTED_OPS = {
    "Add", "And", "Cast", "Concat", "Constant", "ConstantOfShape", "Cos", "CumSum", "Div", "Equal", "Erf", "Expand",
    "Gather", "Gemm", "Greater", "Identity", "LayerNormalization", "Less", "LessOrEqual", "MatMul", "Mul", "Neg",
    "Not", "Pow", "Range", "ReduceMean", "Relu", "Reshape", "Shape", "Sigmoid", "Sin", "Slice", "Softmax", "Split",
    "Sqrt", "Reciprocal", "Squeeze", "Sub", "Tanh", "Tile", "Transpose", "Unsqueeze", "Where",
}


def sample_inputs(model, vocab, batch=2, seq=7, seed=0):
    """A fixed batch: seeded ids, the second row right-padded by two positions."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, vocab, (batch, seq), generator=gen)
    mask = torch.ones(batch, seq, dtype=torch.int64)
    mask[1:, seq - 2:] = 0
    inputs = {"input_ids": ids, "attention_mask": mask}
    if "position_ids" in model.input_names:
        inputs["position_ids"] = position_ids(mask)
    if "token_type_ids" in model.input_names:
        inputs["token_type_ids"] = torch.zeros_like(ids)
    return inputs


def position_ids(mask):
    """Positions that count real tokens only (0 for padding), the convention Bszo's collators use."""
    return (torch.cumsum(mask, dim=1) - 1).clamp(min=0) * mask


def export_onnx(model, path, vocab, storage="fp32", outputs=None):
    """Writes `path` (the graph) and `path + '.data'` (all parameters). Returns the ONNX model proto.

    `outputs` maps each output name to its dynamic axes; by default one output, `logits`, with the
    batch axis (and the sequence axis for decoders)."""
    if storage not in ("fp32", "fp16"):
        raise ExportError(f"Unsupported storage type '{storage}'.", "fp32 or fp16", storage)
    params = unique_parameters(model)
    inputs = sample_inputs(model, vocab)
    names = list(model.input_names)
    if outputs is None:
        outputs = {"logits": {0: "batch", 1: "sequence"} if model.kind == "decoder-lm" else {0: "batch"}}
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes.update(outputs)
    trace_path = path + ".trace"
    model.train()  # torch merges *equal-valued* parameters in eval mode; in train mode only identical ones
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, tuple(inputs[n] for n in names), trace_path, input_names=names,
                              output_names=list(outputs), dynamic_axes=axes, opset_version=OPSET,
                              do_constant_folding=False, export_params=False,
                              training=torch.onnx.TrainingMode.PRESERVE)
    finally:
        model.eval()
    graph_model = onnx.load(trace_path)
    os.remove(trace_path)
    check_ops(graph_model)
    attach_parameters(graph_model, params, os.path.basename(path) + ".data", os.path.dirname(path) or ".", storage)
    graph_model.producer_name = "bszo tools/export"
    onnx.save(graph_model, path)
    onnx.checker.check_model(path)
    return graph_model


def unique_parameters(model):
    """name -> parameter, one entry per distinct tensor (named_parameters drops tied duplicates)."""
    return dict(model.named_parameters())


def check_ops(graph_model):
    used = {n.op_type for n in graph_model.graph.node}
    unknown = sorted(used - SUPPORTED_OPS)
    if unknown:
        raise ExportError("The traced graph uses operators outside the tested set.", ", ".join(sorted(SUPPORTED_OPS)),
                          ", ".join(unknown), "add them to SUPPORTED_OPS only after checking ONNX Runtime runs them on CPU.")


def attach_parameters(graph_model, params, data_name, directory, storage):
    """Replaces the parameter graph inputs with external-data initializers in one file."""
    graph = graph_model.graph
    by_name = {i.name: i for i in graph.input}
    missing = [n for n in params if n not in by_name]
    if missing:
        raise ExportError("Some parameters are not graph inputs of the traced model.", "every parameter",
                          ", ".join(missing[:5]), "the module may compute them from constants; keep parameters as nn.Parameter.")
    casts = []
    with open(os.path.join(directory, data_name), "wb") as data:
        for name, param in params.items():
            graph.input.remove(by_name[name])
            array = param.detach().to(torch.float32).contiguous().numpy()
            if storage == "fp16" and array.size >= 2:
                array = array.astype(np.float16)
                # The graph computes in fp32: every consumer reads a Cast of the 16-bit weight.
                wide = name + ".fp32"
                rename_uses(graph, name, wide)
                casts.append(helper.make_node("Cast", [name], [wide], name=f"Cast_{name}", to=TensorProto.FLOAT))
            pad = (-data.tell()) % ALIGNMENT
            data.write(b"\0" * pad)
            offset = data.tell()
            blob = array.tobytes()
            data.write(blob)
            element = TensorProto.FLOAT16 if array.dtype == np.float16 else TensorProto.FLOAT
            tensor = TensorProto(name=name, data_type=element, dims=array.shape)
            tensor.data_location = TensorProto.EXTERNAL
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(len(blob)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            graph.initializer.append(tensor)
    for cast in reversed(casts):
        graph.node.insert(0, cast)


def rename_uses(graph, old, new):
    for node in graph.node:
        for i, value in enumerate(node.input):
            if value == old:
                node.input[i] = new


def read_initializer(graph_model, name, directory):
    """An initializer's values as a float32 numpy array (external data resolved)."""
    for t in graph_model.graph.initializer:
        if t.name == name:
            return numpy_helper.to_array(t, base_dir=directory).astype(np.float32)
    raise KeyError(name)


def count_uses(graph_model, name):
    return sum(1 for n in graph_model.graph.node for i in n.input if i == name)
