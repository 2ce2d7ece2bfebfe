"""Writes `bszo-model.json` (src/Bszo.Models/Adapters/ModelCard.cs) and the torch reference."""
import json
import os

import numpy as np
import torch

from .blocks import count_parameters

FORMAT = "bszo-model/1"


def max_length(model):
    c = model.config
    if model.family == "gpt2":
        return int(c["n_positions"])
    if model.family == "roberta":
        return int(c["max_position_embeddings"]) - int(c.get("pad_token_id", 1)) - 1  # positions start after padding_idx
    return int(c.get("max_position_embeddings", 2048))


def labels(model):
    if model.kind != "encoder-classifier":
        return []
    id2label = model.config.get("id2label") or {}
    return [str(id2label.get(str(i), id2label.get(i, f"LABEL_{i}"))) for i in range(model.labels)]


def write_card(out_dir, model, tokenizer, description, storage):
    card = {
        "format": FORMAT,
        "kind": model.kind,
        "family": model.family,
        "description": description,
        "model": "model.onnx",
        "tokenizer": tokenizer,
        "inputs": {name: name for name in model.input_names},
        "outputs": {"logits": "logits"},
        "labels": labels(model),
        "maxLength": max_length(model),
        "trainable": ["*"],
        # Not read by Bszo; recorded for people.
        "parameters": count_parameters(model),
        "storage": storage,
        "reference": "reference.json",
    }
    with open(os.path.join(out_dir, "bszo-model.json"), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
    return card


@torch.no_grad()
def write_reference(out_dir, model, inputs):
    """Logits computed by torch for a fixed batch: reference.json (inputs, shape) + raw fp32 logits."""
    logits = model(*(inputs[n] for n in model.input_names)).float().contiguous()
    logits.numpy().astype("<f4").tofile(os.path.join(out_dir, "reference.logits.bin"))
    reference = {
        "inputs": {name: inputs[name].tolist() for name in model.input_names},
        "logits": {"shape": list(logits.shape), "file": "reference.logits.bin", "dtype": "float32"},
        "computedBy": f"torch {torch.__version__}, float32",
    }
    with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f)
    return np.asarray(logits)
