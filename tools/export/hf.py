"""The `hf` command: a local Hugging Face checkpoint directory -> an ONNX model directory for Bszo."""
import json
import os
import shutil

import numpy as np
import onnx
import torch

from . import card, checkpoint, export, tokenizer_files
from .errors import ExportError


def export_checkpoint(checkpoint_dir, out_dir, storage="fp32", layout="bszo", description=None, log=print):
    """Exports the checkpoint; returns the written card (bszo layout) or None (optimum layout)."""
    model, config = checkpoint.load_model(checkpoint_dir)
    return export_model(model, checkpoint_dir, config, out_dir, storage, layout, description, log)


def export_model(model, checkpoint_dir, config, out_dir, storage="fp32", layout="bszo", description=None, log=print):
    if layout not in ("bszo", "optimum"):
        raise ExportError(f"Unknown layout '{layout}'.", "bszo or optimum", layout)
    if os.path.abspath(out_dir) == os.path.abspath(checkpoint_dir):
        raise ExportError("The output directory is the checkpoint directory.", "a separate directory", out_dir)
    os.makedirs(out_dir, exist_ok=True)
    embedding = model.get_input_embeddings_rows()
    tokenizer = tokenizer_files.write_tokenizer(checkpoint_dir, out_dir, model.family, config, embedding)
    if storage == "fp16":
        with torch.no_grad():  # the reference must see the weights the graph will hold
            for p in model.parameters():
                p.copy_(p.half().float())

    path = os.path.join(out_dir, "model.onnx")
    graph = export.export_onnx(model, path, embedding, storage)
    check_tied(model, graph)
    inputs = export.sample_inputs(model, embedding)
    card.write_reference(out_dir, model, inputs)
    if layout == "optimum":
        to_optimum_layout(out_dir, checkpoint_dir)
        log(f"wrote {out_dir} (Optimum layout: model.onnx + model.onnx_data, no bszo card)")
        return None
    written = card.write_card(out_dir, model, tokenizer, description or default_description(model, checkpoint_dir), storage)
    size = os.path.getsize(path + ".data") / 2**20
    log(f"wrote {out_dir}: {model.family} {model.kind}, {written['parameters']:,} parameters, {size:.1f} MiB of {storage} weights")
    return written


def default_description(model, checkpoint_dir):
    return f"{model.family} {model.kind} exported by tools/export from {os.path.basename(os.path.abspath(checkpoint_dir))}"


def check_tied(model, graph):
    """A tied LM head must read the embedding initializer itself: one tensor, perturbed once."""
    if not model.tied:
        return
    name = model.output_embedding_name()
    names = [t.name for t in graph.graph.initializer]
    if "lm_head.weight" in names or names.count(name) != 1:
        raise ExportError("The tied embedding was exported as more than one tensor.", f"one initializer '{name}'", ", ".join(n for n in names if "embed" in n or "wte" in n or "lm_head" in n))
    uses = export.count_uses(graph, name) + export.count_uses(graph, name + ".fp32")
    if uses < 2:
        raise ExportError(f"The tied embedding '{name}' is read by {uses} node(s).", "the embedding lookup and the LM head", str(uses))


def to_optimum_layout(out_dir, checkpoint_dir):
    """Renames the data file as Optimum does (model.onnx_data) and copies config.json; no card."""
    path = os.path.join(out_dir, "model.onnx")
    graph = onnx.load(path, load_external_data=False)
    for tensor in graph.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = "model.onnx_data"
    os.replace(path + ".data", os.path.join(out_dir, "model.onnx_data"))
    onnx.save(graph, path)
    shutil.copyfile(os.path.join(checkpoint_dir, "config.json"), os.path.join(out_dir, "config.json"))
