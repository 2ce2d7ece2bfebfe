"""Puts a checkpoint's tokenizer into files Microsoft.ML.Tokenizers 2.0.1 reads, and describes it
for the model card.

- byte-level BPE (GPT-2, OPT, Qwen2, RoBERTa, Llama 3): vocab.json + merges.txt
- SentencePiece (Llama 2 style): tokenizer.model
- WordPiece (BERT): vocab.txt (+ tokenizer_config.json for do_lower_case)

Hugging Face tokenizer.json files are converted when the plain files are absent.

Card convention: `bosId` is set only when the family prepends it to every sequence (OPT, Llama,
BERT's [CLS], RoBERTa's <s>); `eosId` is the end-of-text id (appended by encoders as [SEP] / </s>).
"""
import json
import os
import shutil

from . import sentencepiece_model
from .errors import ExportError

BYTE_LEVEL = ("gpt2", "opt", "qwen2", "roberta")


def _path(directory, name):
    path = os.path.join(directory, name)
    return path if os.path.isfile(path) else None


def _load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _missing(directory, family, needed):
    found = ", ".join(sorted(os.listdir(directory)))
    return ExportError(f"'{directory}' has no tokenizer files that tools/export can use for {family}.", needed, found,
                       "copy the tokenizer files of the checkpoint into the directory as well.")


def _tokenizer_json(directory):
    path = _path(directory, "tokenizer.json")
    return _load_json(path) if path else None


def _is_byte_level(tj):
    pre = tj.get("pre_tokenizer") or {}
    kinds = [pre.get("type")] + [p.get("type") for p in pre.get("pretokenizers", [])]
    return tj.get("model", {}).get("type") == "BPE" and "ByteLevel" in kinds


def _added_tokens(directory, tj):
    """Special tokens outside vocab.json (e.g. Qwen2's <|endoftext|>)."""
    added = {}
    if tj:
        added.update({t["content"]: t["id"] for t in tj.get("added_tokens", [])})
    path = _path(directory, "added_tokens.json")
    if path:
        added.update(_load_json(path))
    return added


def byte_level_bpe(directory, out_dir, family):
    tj = _tokenizer_json(directory)
    vocab_path, merges_path = _path(directory, "vocab.json"), _path(directory, "merges.txt")
    if vocab_path and merges_path:
        vocab = _load_json(vocab_path)
        shutil.copyfile(vocab_path, os.path.join(out_dir, "vocab.json"))
        shutil.copyfile(merges_path, os.path.join(out_dir, "merges.txt"))
    elif tj and _is_byte_level(tj):
        vocab = tj["model"]["vocab"]
        merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
        with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False)
        with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    else:
        raise _missing(directory, family, "vocab.json + merges.txt, or a byte-level BPE tokenizer.json")
    added = _added_tokens(directory, tj)
    size = max(list(vocab.values()) + list(added.values())) + 1
    lookup = dict(vocab, **added)
    return {"type": "bpe", "files": {"vocab": "vocab.json", "merges": "merges.txt"}}, size, lookup


def sentencepiece(directory, out_dir, family):
    path = _path(directory, "tokenizer.model")
    if not path:
        tj = _tokenizer_json(directory)
        if tj and _is_byte_level(tj):  # Llama 3 and other byte-level BPE Llamas
            return byte_level_bpe(directory, out_dir, family)
        raise _missing(directory, family, "tokenizer.model (SentencePiece), or a byte-level BPE tokenizer.json")
    info = sentencepiece_model.read(path)
    if info["model_type"] not in (sentencepiece_model.BPE, sentencepiece_model.UNIGRAM):
        raise ExportError(f"'{path}' is a SentencePiece model of type {info['model_type']}.", "BPE (2) or unigram (1)", info["model_type"])
    shutil.copyfile(path, os.path.join(out_dir, "tokenizer.model"))
    lookup = {p: i for i, (p, _, _) in enumerate(info["pieces"])}
    card = {"type": "sentencepiece", "files": {"model": "tokenizer.model"},
            "bosId": info["bos_id"] if info["bos_id"] >= 0 else None, "eosId": info["eos_id"] if info["eos_id"] >= 0 else None,
            "unkId": info["unk_id"] if info["unk_id"] >= 0 else None}
    return card, len(info["pieces"]), lookup


def wordpiece(directory, out_dir, family):
    path = _path(directory, "vocab.txt")
    if path:
        shutil.copyfile(path, os.path.join(out_dir, "vocab.txt"))
        with open(path, encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f]
    else:
        tj = _tokenizer_json(directory)
        if not (tj and tj.get("model", {}).get("type") == "WordPiece"):
            raise _missing(directory, family, "vocab.txt, or a WordPiece tokenizer.json")
        by_id = sorted(tj["model"]["vocab"].items(), key=lambda kv: kv[1])
        tokens = [t for t, _ in by_id]
        with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(tokens) + "\n")
    config_path = _path(directory, "tokenizer_config.json")
    lower = _load_json(config_path).get("do_lower_case", True) if config_path else True
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"do_lower_case": lower}, f)
    lookup = {t: i for i, t in enumerate(tokens)}
    return {"type": "wordpiece", "files": {"vocab": "vocab.txt", "config": "tokenizer_config.json"}}, len(tokens), lookup


def _special(config, key, lookup, *names):
    """An id from config.json, else the first of `names` found in the vocabulary."""
    if config.get(key) is not None:
        return int(config[key])
    for name in names:
        if name in lookup:
            return lookup[name]
    return None


def write_tokenizer(directory, out_dir, family, config, embedding_rows):
    """Writes the tokenizer files into out_dir; returns the card's tokenizer entry."""
    if family in BYTE_LEVEL:
        card, size, lookup = byte_level_bpe(directory, out_dir, family)
    elif family == "llama":
        card, size, lookup = sentencepiece(directory, out_dir, family)
    elif family == "bert":
        card, size, lookup = wordpiece(directory, out_dir, family)
    else:
        raise ExportError(f"No tokenizer handling for family '{family}'.", ", ".join(BYTE_LEVEL + ("llama", "bert")), family)
    check_vocabulary(size, embedding_rows, directory)

    tokenizer_config = _path(directory, "tokenizer_config.json")
    prefix_space = bool(_load_json(tokenizer_config).get("add_prefix_space", False)) if tokenizer_config else False
    if family == "gpt2" or family == "qwen2":
        card.update(bosId=None, eosId=_special(config, "eos_token_id", lookup, "<|endoftext|>"))
    elif family == "opt":
        card.update(bosId=_special(config, "bos_token_id", lookup, "</s>"), eosId=_special(config, "eos_token_id", lookup, "</s>"))
    elif family == "llama" and card["type"] == "bpe":
        card.update(bosId=_special(config, "bos_token_id", lookup, "<|begin_of_text|>"), eosId=_special(config, "eos_token_id", lookup))
    elif family == "roberta":
        card.update(bosId=lookup.get("<s>"), eosId=lookup.get("</s>"), unkId=lookup.get("<unk>"))
    elif family == "bert":
        card.update(bosId=lookup.get("[CLS]"), eosId=lookup.get("[SEP]"), unkId=lookup.get("[UNK]"))
    pad = _special(config, "pad_token_id", lookup, "[PAD]", "<pad>")
    card["padId"] = pad if pad is not None else card.get("eosId")
    card["addPrefixSpace"] = prefix_space
    return {k: v for k, v in card.items() if v is not None}


def check_vocabulary(size, rows, directory):
    """The tokenizer may be a little smaller than the embedding (tables are padded), never larger."""
    slack = max(512, rows // 100)
    if size > rows or size < rows - slack:
        raise ExportError(f"The tokenizer in '{directory}' does not match the model's embedding table.",
                          f"a vocabulary of {rows - slack}..{rows} ids (the table has {rows} rows)", f"{size} ids",
                          "the tokenizer files belong to another model; copy the checkpoint's own tokenizer files.")
