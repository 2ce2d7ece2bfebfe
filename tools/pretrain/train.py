"""Trains the small self-pretrained decoder (GPT-2 architecture, GPT-2 BPE tokenizer) on CPU.

The recipe is fixed and seeded; only wall time depends on the machine. Training runs on one
thread (torch.set_num_threads(1)) so the machine stays usable; start it under `nice -n 15`.
"""
import json
import math
import os
import shutil
import time

import numpy as np
import torch

from tools.export import safetensors
from tools.export.gpt2 import Gpt2
from tools.export.npm_cache import gpt2_bpe_files

from . import corpus
from .evaluate import sentiment_zero_shot, unigram_perplexity

RECIPE = dict(
    seed=1234, n_embd=128, n_layer=4, n_head=4, n_positions=64,
    batch=8, steps=600, lr=4e-3, min_lr_ratio=0.1, warmup=30, weight_decay=0.1, betas=(0.9, 0.95), clip=1.0,
    eval_every=100, eval_tokens=4096, final_eval_tokens=65536,
)


def config_json(r):
    return {
        "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 50257,
        "n_positions": r["n_positions"], "n_ctx": r["n_positions"], "n_embd": r["n_embd"], "n_layer": r["n_layer"],
        "n_head": r["n_head"], "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
        "bos_token_id": 50256, "eos_token_id": 50256, "tie_word_embeddings": True, "torch_dtype": "float32",
    }


def init_weights(model, layers):
    """GPT-2's initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 * layers)."""
    gen = torch.Generator().manual_seed(RECIPE["seed"])
    for name, p in model.named_parameters():
        with torch.no_grad():
            if name.endswith(".bias"):
                p.zero_()
            elif "ln_" in name:
                p.fill_(1.0)
            else:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("c_proj.weight") else 0.02
                p.copy_(torch.randn(p.shape, generator=gen) * std)


def lr_at(step, r):
    if step < r["warmup"]:
        return r["lr"] * (step + 1) / r["warmup"]
    progress = (step - r["warmup"]) / max(1, r["steps"] - r["warmup"])
    return r["lr"] * (r["min_lr_ratio"] + (1 - r["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * progress)))


def windows(tokens, starts, length):
    x = np.stack([tokens[s:s + length + 1].astype(np.int64) for s in starts])
    return torch.from_numpy(x)


@torch.no_grad()
def validation_loss(model, tokens, length, limit=None):
    """Mean next-token cross-entropy over contiguous, non-overlapping windows."""
    model.eval()
    count = (len(tokens) - 1) // length
    if limit:
        count = min(count, limit // length)
    total, n = 0.0, 0
    for first in range(0, count, 16):
        starts = [i * length for i in range(first, min(count, first + 16))]
        batch = windows(tokens, starts, length)
        logits = forward(model, batch[:, :-1])
        total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), reduction="sum").item()
        n += batch[:, 1:].numel()
    model.train()
    return total / n


def forward(model, ids):
    mask = torch.ones_like(ids)
    positions = torch.arange(ids.shape[1])[None, :].expand_as(ids)
    return model(ids, mask, positions)


def train(out_dir, cache_dir, steps=None, log=print, stop_after=None):
    """Runs the recipe (optionally with another step count). stop_after ends the run early on the
    recipe's own schedule: the result equals the full run's checkpoint at that step."""
    torch.set_num_threads(1)
    torch.manual_seed(RECIPE["seed"])
    r = dict(RECIPE, steps=steps or RECIPE["steps"])
    last = min(r["steps"], stop_after or r["steps"])
    started = time.time()
    train_ids, valid_ids = corpus.build(cache_dir)
    log(f"corpus: {len(train_ids)} training tokens, {len(valid_ids)} validation tokens ({time.time() - started:.0f} s)")

    config = config_json(r)
    model = Gpt2(config)
    init_weights(model, r["n_layer"])
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": r["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=r["lr"], betas=r["betas"])
    rng = np.random.default_rng(r["seed"])
    T, history = r["n_positions"], []
    train_start = time.time()
    for step in range(last):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, r)
        batch = windows(train_ids, rng.integers(0, len(train_ids) - T - 1, size=r["batch"]), T)
        logits = forward(model, batch[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), r["clip"])
        opt.step()
        if step % 20 == 0:
            log(f"step {step:5d}  loss {loss.item():.3f}  lr {lr_at(step, r):.2e}  {time.time() - train_start:.0f} s")
        if (step + 1) % r["eval_every"] == 0 or step + 1 == last:
            v = validation_loss(model, valid_ids, T, r["eval_tokens"])
            history.append({"step": step + 1, "train_loss": loss.item(), "valid_loss_sample": v, "seconds": time.time() - train_start})
            log(f"eval step {step + 1}: validation loss {v:.3f} (perplexity {math.exp(v):.1f}) on {r['eval_tokens']} tokens")
            save_checkpoint(model, config, out_dir, {"recipe": r, "history": history, "steps_run": step + 1})
    train_seconds = time.time() - train_start

    valid = validation_loss(model, valid_ids, T, r["final_eval_tokens"])
    sentiment = sentiment_zero_shot(model)
    report = {
        "recipe": r, "history": history, "steps_run": last,
        "train_tokens_seen": last * r["batch"] * T, "corpus_train_tokens": int(len(train_ids)),
        "validation_tokens": min(int(len(valid_ids)), r["final_eval_tokens"]), "validation_perplexity": math.exp(valid),
        "unigram_validation_perplexity": unigram_perplexity(train_ids, valid_ids[:r["final_eval_tokens"] + 1], 50257), "sentiment_zero_shot": sentiment,
        "train_seconds": train_seconds, "total_seconds": time.time() - started, "threads": torch.get_num_threads(),
    }
    log(json.dumps({k: v for k, v in report.items() if k not in ("recipe", "history")}, indent=1))
    save_checkpoint(model, config, out_dir, report)
    return report


def save_checkpoint(model, config, out_dir, report):
    """A Hugging Face-style checkpoint directory: config.json, model.safetensors, GPT-2 BPE files."""
    os.makedirs(out_dir, exist_ok=True)
    state = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}  # tied: stored once
    safetensors.save(os.path.join(out_dir, "model.safetensors.tmp"), state, {"format": "pt"})
    os.replace(os.path.join(out_dir, "model.safetensors.tmp"), os.path.join(out_dir, "model.safetensors"))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    encoder, bpe = gpt2_bpe_files()
    shutil.copyfile(encoder, os.path.join(out_dir, "vocab.json"))
    shutil.copyfile(bpe, os.path.join(out_dir, "merges.txt"))
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"model_max_length": config["n_positions"], "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                   "unk_token": "<|endoftext|>", "add_prefix_space": False}, f, indent=1)
    with open(os.path.join(out_dir, "training.json"), "w") as f:
        json.dump(report, f, indent=1)
