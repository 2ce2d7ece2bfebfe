"""Sentence encoders laid out as Hugging Face's feature-extraction exports are, for the tests of
Bszo's card-less path: the BERT body without a task head (parameters named as in BertModel:
embeddings.*, encoder.layer.*, pooler.*), inputs input_ids, attention_mask and token_type_ids,
outputs last_hidden_state [batch, sequence, hidden] and pooler_output [batch, hidden], and no card.

  bare   model.onnx + model.onnx.data + vocab.txt: the least a user may have
  st     sentence-transformers files as well: config.json (architectures BertModel), a WordPiece
         tokenizer.json instead of vocab.txt, modules.json and 1_Pooling/config.json (CLS pooling)
"""
import json
import os

import torch
from torch import nn

from . import checkpoint, export
from .blocks import padding_bias


class BertEncoder(nn.Module):
    """The body of a loaded BERT classifier, returning its token states and its tanh-pooled first token."""

    kind = "sentence-encoder"
    input_names = ("input_ids", "attention_mask", "token_type_ids")

    def __init__(self, bert):
        super().__init__()
        self.config = bert.config
        self.embeddings = bert.bert.embeddings
        self.encoder = bert.bert.encoder
        self.pooler = bert.bert.pooler

    def forward(self, input_ids, attention_mask, token_type_ids):
        e = self.embeddings
        positions = torch.arange(input_ids.shape[1])[None, :].expand_as(input_ids)
        x = e.LayerNorm(e.word_embeddings(input_ids) + e.position_embeddings(positions) + e.token_type_embeddings(token_type_ids))
        bias = padding_bias(attention_mask)
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x, torch.tanh(self.pooler.dense(x[:, 0]))


def write_encoders(bert_checkpoint, out, texts, ids):
    """Writes the `bare` and `st` layouts of the tiny BERT checkpoint's body, and reference.json:
    each text's ids ([CLS] ... [SEP]) and its mean, CLS and pooled embeddings (L2-normalised), computed
    by torch one text at a time (no padding)."""
    model, config = checkpoint.load_model(bert_checkpoint)
    encoder = BertEncoder(model).eval()
    with open(os.path.join(bert_checkpoint, "vocab.txt"), encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f]
    outputs = {"last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}}
    for layout in ("bare", "st"):
        directory = os.path.join(out, layout)
        os.makedirs(directory, exist_ok=True)
        export.export_onnx(encoder, os.path.join(directory, "model.onnx"), len(vocab), outputs=outputs)
    with open(os.path.join(out, "bare", "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    write_sentence_transformers_files(os.path.join(out, "st"), config, vocab)

    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    reference = {"texts": texts, "ids": [], "mean": [], "cls": [], "pooled": []}
    with torch.no_grad():
        for row in ids:
            full = torch.tensor([[cls] + row + [sep]])
            hidden, pooled = encoder(full, torch.ones_like(full), torch.zeros_like(full))
            reference["ids"].append(full[0].tolist())
            for key, vector in (("mean", hidden[0].mean(dim=0)), ("cls", hidden[0, 0]), ("pooled", pooled[0])):
                reference[key].append(torch.nn.functional.normalize(vector, dim=0, eps=1e-12).tolist())
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f)


def write_sentence_transformers_files(directory, config, vocab):
    body = {k: v for k, v in config.items() if k not in ("architectures", "id2label", "label2id")}
    with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
        json.dump({**body, "architectures": ["BertModel"]}, f, indent=1)
    tokenizer = {"version": "1.0", "normalizer": {"type": "BertNormalizer", "lowercase": True, "strip_accents": None},
                 "pre_tokenizer": {"type": "BertPreTokenizer"},
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "vocab": {t: i for i, t in enumerate(vocab)}}}
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
    with open(os.path.join(directory, "modules.json"), "w", encoding="utf-8") as f:
        json.dump(modules, f, indent=1)
    os.makedirs(os.path.join(directory, "1_Pooling"), exist_ok=True)
    with open(os.path.join(directory, "1_Pooling", "config.json"), "w", encoding="utf-8") as f:
        json.dump({"word_embedding_dimension": config["hidden_size"], "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False,
                   "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}, f, indent=1)
