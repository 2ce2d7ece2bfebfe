"""Decoders with the shapes of public checkpoints and random weights, for memory and speed benchmarks.

Only the configuration is real: the weights are N(0, 0.02) noise, so the models say nothing about
quality. The tokenizer is the GPT-2 BPE (what OPT's tokenizer is built on). Written into the Bszo
cache on demand, never committed.
"""
import json
import os
import shutil
import tempfile

import torch

from .errors import ExportError
from .hf import export_model
from .npm_cache import cache_root, gpt2_bpe_files
from .opt import Opt

OPT_BASE = {"model_type": "opt", "architectures": ["OPTForCausalLM"], "vocab_size": 50272, "max_position_embeddings": 2048,
            "activation_function": "relu", "bos_token_id": 2, "eos_token_id": 2, "pad_token_id": 1}
SHAPES = {
    "opt-125m": dict(OPT_BASE, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, ffn_dim=3072, word_embed_proj_dim=768),
    "opt-350m": dict(OPT_BASE, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, ffn_dim=4096, word_embed_proj_dim=512,
                     do_layer_norm_before=False),
    "opt-1.3b": dict(OPT_BASE, hidden_size=2048, num_hidden_layers=24, num_attention_heads=32, ffn_dim=8192, word_embed_proj_dim=2048),
    # Two narrow layers over the full OPT vocabulary: the benchmark harness's smoke run.
    "opt-tiny": dict(OPT_BASE, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, ffn_dim=64, word_embed_proj_dim=32,
                     max_position_embeddings=64),
}


def write_random_decoder(shape, out=None, seed=0, log=print):
    if shape not in SHAPES:
        raise ExportError(f"Unknown decoder shape '{shape}'.", ", ".join(SHAPES), shape)
    out = out or os.path.join(cache_root(), "models", f"random-{shape}")
    if os.path.isfile(os.path.join(out, "bszo-model.json")):
        return out
    config = SHAPES[shape]
    torch.manual_seed(seed)
    model = Opt(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name:
                p.copy_(torch.ones_like(p) if name.endswith("weight") else torch.zeros_like(p)).add_(0.02 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.02)
    staging = tempfile.mkdtemp(prefix="bszo-random-")
    try:
        with open(os.path.join(staging, "config.json"), "w") as f:
            json.dump(config, f)
        encoder, bpe = gpt2_bpe_files()
        shutil.copyfile(encoder, os.path.join(staging, "vocab.json"))
        shutil.copyfile(bpe, os.path.join(staging, "merges.txt"))
        partial = out + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        export_model(model, staging, config, partial, description=f"random weights in the shape of {shape} (untrained; for memory and speed benchmarks only)", log=log)
        os.replace(partial, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out
