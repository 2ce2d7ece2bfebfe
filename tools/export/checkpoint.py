"""Reads a local Hugging Face checkpoint directory: config.json and the weights."""
import glob
import json
import os

import torch

from . import safetensors
from .bert import Bert, Roberta
from .errors import ExportError
from .gpt2 import Gpt2
from .llama import Llama, Qwen2
from .opt import Opt

FAMILIES = {"gpt2": Gpt2, "opt": Opt, "llama": Llama, "qwen2": Qwen2, "bert": Bert, "roberta": Roberta}
# Architectures per family that the exporter implements (the head decides what the graph outputs).
ARCHITECTURES = {
    "gpt2": ("GPT2LMHeadModel",), "opt": ("OPTForCausalLM",), "llama": ("LlamaForCausalLM",),
    "qwen2": ("Qwen2ForCausalLM",), "bert": ("BertForSequenceClassification",),
    "roberta": ("RobertaForSequenceClassification",),
}


def read_config(directory):
    path = os.path.join(directory, "config.json")
    if not os.path.isfile(path):
        raise ExportError(f"'{directory}' has no config.json.", "a Hugging Face checkpoint directory (config.json + weights + tokenizer files)",
                          ", ".join(sorted(os.listdir(directory))) if os.path.isdir(directory) else "no such directory")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def model_class(config, directory):
    """The module class for config.json's model_type and architectures, or a clear error."""
    family = config.get("model_type")
    supported = ", ".join(f"{k} ({'/'.join(v)})" for k, v in ARCHITECTURES.items())
    if family not in FAMILIES:
        raise ExportError(f"'{directory}/config.json' has model_type '{family}'.", supported, family,
                          "only these architectures are implemented in tools/export.")
    architectures = config.get("architectures") or [ARCHITECTURES[family][0]]
    if not any(a in ARCHITECTURES[family] for a in architectures):
        raise ExportError(f"'{directory}/config.json' names architectures {architectures}.", supported, ", ".join(architectures),
                          "decoders are exported with their LM head and encoders with a sequence-classification head.")
    if config.get("quantization_config"):
        raise ExportError(f"'{directory}' holds a quantized checkpoint.", "F32, F16 or BF16 weights",
                          str(config["quantization_config"].get("quant_method", "quantized")), "export the unquantized model.")
    return FAMILIES[family]


def weight_files(directory):
    shards = sorted(glob.glob(os.path.join(directory, "*.safetensors")))
    if shards:
        return shards
    bins = sorted(glob.glob(os.path.join(directory, "pytorch_model*.bin")))
    if bins:
        return bins
    raise ExportError(f"'{directory}' has no weights.", "model.safetensors (or shards) or pytorch_model.bin",
                      ", ".join(sorted(os.listdir(directory))), "download the weight files too, not just the config.")


def read_weights(directory):
    """Every tensor of the checkpoint as stored; the module checks types and widens floats to fp32."""
    state = {}
    for path in weight_files(directory):
        if path.endswith(".safetensors"):
            tensors, _ = safetensors.load(path)
        else:
            try:
                tensors = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as e:  # torch raises several types for damaged or non-tensor pickles
                raise ExportError(f"'{path}' cannot be read as a PyTorch state dict.", "a dict of tensors", str(e)) from e
        state.update(tensors)
    return state


def load_model(directory):
    """Builds the family's module from config.json and loads the checkpoint into it (eval mode, fp32)."""
    config = read_config(directory)
    cls = model_class(config, directory)
    model = cls(config)
    model.load_checkpoint(read_weights(directory), directory)
    return model.eval(), config
