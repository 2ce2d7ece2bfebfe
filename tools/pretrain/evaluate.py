"""Measurements reported for the self-pretrained decoder."""
import json
import math
import os

import numpy as np
import torch

from tools.export.npm_cache import npm_package

from . import corpus

SENTIMENT = ("sentiment", "5.0.2", "01e4396d9b5b17b1176f16c9d1a8be87b16cc1d6")
GREAT, TERRIBLE = 1049, 7818  # GPT-2 BPE ids of " great" and " terrible"


def unigram_perplexity(train_ids, valid_ids, vocab):
    """Perplexity of add-one-smoothed unigram frequencies from the training tokens."""
    counts = np.bincount(train_ids.astype(np.int64), minlength=vocab).astype(np.float64) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(math.exp(-log_p[valid_ids[1:].astype(np.int64)].mean()))


def sentiment_sentences():
    """UCI Sentiment Labelled Sentences (npm sentiment@5.0.2 test fixtures): imdb, yelp, amazon; 1 = positive."""
    root = os.path.join(npm_package(*SENTIMENT), "test", "fixtures")
    items = []
    for name in ("imdb", "yelp", "amazon"):
        with open(os.path.join(root, f"{name}.json"), encoding="utf-8") as f:
            items += [(r["text"].strip(), int(r["class"])) for r in json.load(f) if r.get("text") and r.get("class") is not None]
    return items


@torch.no_grad()
def sentiment_zero_shot(model, batch=64):
    """SST-2-style prompt "<sentence> It was" -> " great" / " terrible", scored by the next-token
    logits of the two words (only those two rows of the LM head are computed)."""
    model.eval()
    items = sentiment_sentences()
    prompts = [ids[-model.config["n_positions"]:] for ids in corpus.tokenize([f"{text} It was" for text, _ in items])]
    words = model.transformer.wte.weight[[GREAT, TERRIBLE]]
    correct, positive = 0, 0
    for first in range(0, len(items), batch):
        rows = prompts[first:first + batch]
        width = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.int64)
        mask = torch.zeros(len(rows), width, dtype=torch.int64)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = torch.tensor(r)
            mask[i, :len(r)] = 1
        positions = (torch.cumsum(mask, 1) - 1).clamp(min=0)
        hidden = model.hidden_states(ids, mask, positions)
        last = hidden[torch.arange(len(rows)), mask.sum(1) - 1]
        scores = last @ words.T
        for i, (_, label) in enumerate(items[first:first + batch]):
            says_positive = bool(scores[i, 0] > scores[i, 1])
            positive += says_positive
            correct += says_positive == (label == 1)
    model.train()
    return {"dataset": "UCI sentiment labelled sentences (imdb+yelp+amazon)", "examples": len(items),
            "prompt": "<sentence> It was", "candidates": [" great", " terrible"],
            "accuracy": correct / len(items), "predicted_positive": positive / len(items)}


def evaluate_checkpoint(directory, cache_dir, tokens):
    """Re-measures a saved checkpoint: validation perplexity on `tokens` tokens, the unigram baseline
    on the same tokens, and the zero-shot sentiment prompt."""
    from tools.export.checkpoint import load_model

    from .train import validation_loss

    torch.set_num_threads(1)
    model, config = load_model(directory)
    train_ids, valid_ids = corpus.build(cache_dir)
    length = config["n_positions"]
    valid = validation_loss(model, valid_ids, length, tokens)
    return {"validation_tokens": tokens, "validation_perplexity": math.exp(valid),
            "unigram_validation_perplexity": unigram_perplexity(train_ids, valid_ids[:tokens + 1], 50257),
            "sentiment_zero_shot": sentiment_zero_shot(model)}
