"""GPT-2 exported for incremental generation, the two ways Optimum writes causal language models.

  with-past/model.onnx                 inputs input_ids, attention_mask (past + new positions), position_ids,
                                       past_key_values.<layer>.key/value [batch, heads, past_sequence, head_size];
                                       outputs logits and present.<layer>.key/value
  merged/decoder_model_merged.onnx     the same inputs plus use_cache_branch (bool [1]): an If node whose
                                       then-branch reads the cache and whose else-branch ignores it

Both hold the weights once, as initializers named like the checkpoint's tensors, in one external data
file; config.json and the tokenizer files are copied beside them, and there is no bszo card. Bszo's
tests train them through the card-less path, which feeds an empty cache and a false use_cache_branch.
"""
import os
import shutil
import tempfile
import warnings

import onnx
import torch
from onnx import TensorProto, helper

from . import checkpoint, export
from .blocks import MASKED, attend, merge_heads, split_heads
from .errors import ExportError
from .gpt2 import Gpt2

DATA_INPUTS = ("input_ids", "attention_mask", "position_ids")


class Gpt2WithPast(Gpt2):
    """GPT-2 whose forward takes and returns each layer's keys and values (the cache)."""

    def forward(self, input_ids, attention_mask, position_ids, *past):
        t = self.transformer
        x = t.wte(input_ids) + t.wpe(position_ids)
        bias = cached_causal_bias(attention_mask, input_ids.shape[1])
        presents = []
        for i, block in enumerate(t.h):
            a = block.attn
            q, k, v = a.c_attn(block.ln_1(x)).chunk(3, dim=-1)
            q, k, v = split_heads(q, a.heads), split_heads(k, a.heads), split_heads(v, a.heads)
            if past:
                k = torch.cat([past[2 * i], k], dim=2)
                v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            x = x + a.c_proj(merge_heads(attend(q, k, v, bias)))
            x = x + block.mlp(block.ln_2(x))
        return (self.lm_head(t.ln_f(x)), *presents)


def cached_causal_bias(attention_mask, query_length):
    """[batch, 1, new, past + new]: key j is visible to new position i if j <= past + i and mask[j] = 1."""
    total = attention_mask.shape[1]
    keys = torch.arange(total)
    queries = torch.arange(query_length) + (total - query_length)
    visible = (keys[None, :] <= queries[:, None])[None, None, :, :] & (attention_mask[:, None, None, :] > 0)
    return torch.where(visible, torch.zeros((), dtype=torch.float32), torch.full((), MASKED))


def write_cached_decoders(checkpoint_dir, out):
    """Writes <out>/with-past and <out>/merged from the GPT-2 checkpoint; returns out."""
    plain, config = checkpoint.load_model(checkpoint_dir)
    if config.get("model_type") != "gpt2":
        raise ExportError(f"'{checkpoint_dir}' is a {config.get('model_type')} checkpoint.", "a GPT-2 checkpoint (model_type gpt2)",
                          str(config.get("model_type")), "export other families with `hf`; only GPT-2 has a cached export here.")
    model = Gpt2WithPast(config)
    model.load_state_dict(plain.state_dict())
    layers, heads = config["n_layer"], config["n_head"]
    head_size = config["n_embd"] // heads
    past_names = [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    present_names = [f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    gen = torch.Generator().manual_seed(0)
    batch, new, past_length = 2, 5, 3
    ids = torch.randint(4, config["vocab_size"], (batch, new), generator=gen)
    mask = torch.ones(batch, past_length + new, dtype=torch.int64)
    positions = torch.arange(past_length, past_length + new).repeat(batch, 1)
    past = [0.1 * torch.randn(batch, heads, past_length, head_size, generator=gen) for _ in past_names]

    axes = {"input_ids": {0: "batch", 1: "sequence"}, "position_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "total_sequence"}, "logits": {0: "batch", 1: "sequence"}}
    axes.update({n: {0: "batch", 2: "past_sequence"} for n in past_names})
    axes.update({n: {0: "batch", 2: "total_sequence"} for n in present_names})
    with_past = trace(model, (ids, mask, positions, *past), list(DATA_INPUTS) + past_names, ["logits"] + present_names, axes)
    no_past = trace(model, (ids, mask[:, past_length:], positions - past_length), list(DATA_INPUTS), ["logits"] + present_names, axes)
    params = export.unique_parameters(model)

    merged = merge(with_past, no_past)  # before save() turns with_past's parameter inputs into initializers
    for name, graph_model, file in (("with-past", with_past, "model.onnx"), ("merged", merged, "decoder_model_merged.onnx")):
        directory = os.path.join(out, name)
        os.makedirs(directory)
        save(graph_model, params, directory, file, checkpoint_dir)
    return out


def trace(model, args, input_names, output_names, axes):
    """The module's graph with every parameter as a graph input named like the checkpoint tensor."""
    model.train()  # as export.export_onnx: keep tied parameters one input
    try:
        with tempfile.TemporaryDirectory() as scratch, warnings.catch_warnings():
            path = os.path.join(scratch, "trace.onnx")
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                              dynamic_axes={k: v for k, v in axes.items() if k in input_names + output_names},
                              opset_version=export.OPSET, do_constant_folding=False, export_params=False,
                              training=torch.onnx.TrainingMode.PRESERVE)
            return onnx.load(path)
    finally:
        model.eval()


def merge(with_past, no_past):
    """Optimum's merged decoder: one graph, the weights shared by an If node's two branches."""
    graph = with_past.graph
    flag = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    outer = [i for i in graph.input]
    then_branch = branch(graph, "cache", {i.name for i in outer})
    else_branch = branch(no_past.graph, "no_cache", {i.name for i in outer})
    node = helper.make_node("If", ["use_cache_branch"], [o.name for o in graph.output], name="optimum_merged_if",
                            then_branch=then_branch, else_branch=else_branch)
    merged = helper.make_graph([node], "decoder_merged", outer + [flag], list(graph.output))
    model = helper.make_model(merged, opset_imports=list(with_past.opset_import))
    model.ir_version = with_past.ir_version
    return model


def branch(graph, prefix, outer_names):
    """`graph` as an If branch: no inputs, every value it makes renamed under `prefix/` so that nothing
    shadows the outer graph's names; references to the outer graph's inputs stay as they are."""
    made = {o for n in graph.node for o in n.output} | {t.name for t in graph.initializer}
    rename = {name: f"{prefix}/{name}" for name in made if name not in outer_names}
    nodes = []
    for n in graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(n)
        copy.input[:] = [rename.get(i, i) for i in n.input]
        copy.output[:] = [rename.get(o, o) for o in n.output]
        if copy.name:
            copy.name = f"{prefix}/{copy.name}"
        nodes.append(copy)
    initializers = []
    for t in graph.initializer:
        copy = TensorProto()
        copy.CopyFrom(t)
        copy.name = rename[t.name]
        initializers.append(copy)
    outputs = []
    for o in graph.output:
        copy = onnx.ValueInfoProto()
        copy.CopyFrom(o)
        copy.name = rename[o.name]
        outputs.append(copy)
    return helper.make_graph(nodes, prefix, [], outputs, initializers)


def save(model, params, directory, name, checkpoint_dir):
    data = name + "_data"
    export.attach_parameters(model, params, data, directory, "fp32")
    model.producer_name = "bszo tools/export (Optimum-style cached decoder)"
    path = os.path.join(directory, name)
    onnx.save(model, path)
    onnx.checker.check_model(path)
    for file in ("config.json", "vocab.json", "merges.txt"):
        shutil.copyfile(os.path.join(checkpoint_dir, file), os.path.join(directory, file))
