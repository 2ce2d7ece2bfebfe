"""What every architecture module provides to the exporter."""
import re

import torch
from torch import nn

from .errors import ExportError

FLOAT_TYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)


class ExportableModel(nn.Module):
    """A Hugging Face architecture re-implemented with matching parameter names.

    Subclasses set the class attributes below and implement forward(input_ids, attention_mask[,
    position_ids]) -> logits, computing in float32.
    """

    family = ""
    kind = "decoder-lm"                 # or "encoder-classifier"
    input_names = ("input_ids", "attention_mask")
    # Checkpoint keys that are buffers or unused heads, not parameters of this module.
    ignored_keys = ()
    # Prefixes some checkpoints lack (e.g. GPT-2 saved from the base model has no "transformer.").
    optional_prefix = ""
    tied = False                        # lm_head shares the token embedding

    def all_parameters(self):
        """name -> parameter, tied parameters listed under each of their names."""
        return {k: v for k, v in self.state_dict(keep_vars=True).items() if isinstance(v, nn.Parameter)}

    def get_input_embeddings_rows(self):
        """Rows of the token embedding table: the vocabulary size the model accepts."""
        return int(self.config["vocab_size"])

    def output_embedding_name(self):
        """Name of the tensor the LM head reads, or None for classifiers."""
        return None

    def canonical_key(self, key):
        names = self._parameter_names()
        if key not in names and self.optional_prefix and self.optional_prefix + key in names:
            return self.optional_prefix + key
        return key

    def _parameter_names(self):
        if not hasattr(self, "_names_cache"):
            object.__setattr__(self, "_names_cache", set(self.all_parameters()))
        return self._names_cache

    def load_checkpoint(self, state, source):
        """Copies a checkpoint's tensors into the module (as float32), checking names and shapes."""
        params = self.all_parameters()
        seen, unexpected = set(), []
        for key, value in state.items():
            name = self.canonical_key(key)
            if name not in params:
                if not any(re.fullmatch(p, name) for p in self.ignored_keys):
                    unexpected.append(key)
                continue
            target = params[name]
            if value.dtype not in FLOAT_TYPES:
                raise ExportError(f"Tensor '{key}' in '{source}' has dtype {value.dtype}.",
                                  "float32, float16, bfloat16 or float64", str(value.dtype),
                                  "quantized or integer weights cannot be exported; use the float checkpoint.")
            if tuple(value.shape) != tuple(target.shape):
                raise ExportError(f"Tensor '{key}' in '{source}' has shape {list(value.shape)}.",
                                  f"{list(target.shape)} from config.json", list(value.shape),
                                  "config.json and the weights belong to different models.")
            with torch.no_grad():
                target.copy_(value.to(torch.float32))
            seen.add(name)
        missing = [n for n in params if n not in seen and not (self.tied and n == "lm_head.weight")]
        if unexpected:
            raise ExportError(f"'{source}' has tensors the {self.family} architecture does not have.",
                              f"names like {sorted(params)[:3]}", ", ".join(unexpected[:8]) + (" ..." if len(unexpected) > 8 else ""),
                              "the checkpoint may use an unsupported variant (adapters, quantization, extra heads).")
        if missing:
            raise ExportError(f"'{source}' lacks tensors the {self.family} architecture needs.",
                              "every parameter of the model", "missing " + ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else ""),
                              "check that the checkpoint is complete (sharded checkpoints need every shard).")
