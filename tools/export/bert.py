"""BERT and RoBERTa sequence classifiers (BertForSequenceClassification,
RobertaForSequenceClassification): post-LayerNorm bidirectional encoder, classification from the
first token. Token type ids are all zero (single-segment inputs)."""
import torch
from torch import nn

from .base import ExportableModel
from .blocks import ACTIVATIONS, attend, merge_heads, padding_bias, split_heads
from .errors import ExportError


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        width = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], width)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], width)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), width)
        self.LayerNorm = nn.LayerNorm(width, eps=c.get("layer_norm_eps", 1e-12))  # pylint: disable=invalid-name


class SelfAttention(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)


class DenseNorm(nn.Module):
    def __init__(self, n_in, width, eps):
        super().__init__()
        self.dense = nn.Linear(n_in, width)
        self.LayerNorm = nn.LayerNorm(width, eps=eps)  # pylint: disable=invalid-name


class AttentionBlock(nn.Module):
    def __init__(self, width, eps):
        super().__init__()
        self.self = SelfAttention(width)
        self.output = DenseNorm(width, width, eps)


class Intermediate(nn.Module):
    def __init__(self, width, inner):
        super().__init__()
        self.dense = nn.Linear(width, inner)


class Layer(nn.Module):
    def __init__(self, c, activation):
        super().__init__()
        width, eps = c["hidden_size"], c.get("layer_norm_eps", 1e-12)
        self.heads = c["num_attention_heads"]
        self.attention = AttentionBlock(width, eps)
        self.intermediate = Intermediate(width, c["intermediate_size"])
        self.output = DenseNorm(c["intermediate_size"], width, eps)
        self.activation = activation

    def forward(self, x, bias):
        a = self.attention
        q, k, v = (split_heads(p(x), self.heads) for p in (a.self.query, a.self.key, a.self.value))
        x = a.output.LayerNorm(x + a.output.dense(merge_heads(attend(q, k, v, bias))))
        return self.output.LayerNorm(x + self.output.dense(self.activation(self.intermediate.dense(x))))


class Encoder(nn.Module):
    def __init__(self, c, activation):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c, activation) for _ in range(c["num_hidden_layers"]))


class Pooler(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.dense = nn.Linear(width, width)


class Body(nn.Module):
    def __init__(self, c, activation, pooler):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c, activation)
        if pooler:
            self.pooler = Pooler(c["hidden_size"])


class RobertaHead(nn.Module):
    def __init__(self, width, labels):
        super().__init__()
        self.dense = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, labels)


def num_labels(c):
    if c.get("id2label"):
        return len(c["id2label"])
    return int(c.get("num_labels", 2))


class Bert(ExportableModel):
    family = "bert"
    kind = "encoder-classifier"
    input_names = ("input_ids", "attention_mask")
    ignored_keys = (r"bert\.embeddings\.position_ids", r"cls\..*")

    def __init__(self, config):
        super().__init__()
        c = dict(config)
        if c.get("position_embedding_type", "absolute") != "absolute":
            raise ExportError(f"{self.family} position_embedding_type is '{c['position_embedding_type']}'.", "absolute",
                              c["position_embedding_type"])
        if c.get("hidden_act", "gelu") not in ACTIVATIONS:
            raise ExportError(f"{self.family} activation '{c['hidden_act']}' is not supported.", ", ".join(ACTIVATIONS), c["hidden_act"])
        self.config = c
        self.labels = num_labels(c)
        self._build(c, ACTIVATIONS[c.get("hidden_act", "gelu")])

    def _build(self, c, activation):
        self.bert = Body(c, activation, pooler=True)
        self.classifier = nn.Linear(c["hidden_size"], self.labels)

    def canonical_key(self, key):
        # Checkpoints converted from TensorFlow name LayerNorm parameters gamma and beta.
        key = key.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        return super().canonical_key(key)

    def body(self):
        return self.bert

    def positions(self, input_ids):
        return torch.arange(input_ids.shape[1], device=input_ids.device)[None, :].expand_as(input_ids)

    def head(self, first):
        return self.classifier(torch.tanh(self.bert.pooler.dense(first)))

    def forward(self, input_ids, attention_mask):
        e = self.body().embeddings
        x = e.word_embeddings(input_ids) + e.position_embeddings(self.positions(input_ids)) + e.token_type_embeddings.weight[0]
        x = e.LayerNorm(x)
        bias = padding_bias(attention_mask)
        for layer in self.body().encoder.layer:
            x = layer(x, bias)
        return self.head(x[:, 0])


class Roberta(Bert):
    family = "roberta"
    ignored_keys = (r"roberta\.embeddings\.position_ids", r"roberta\.pooler\..*", r"lm_head\..*")

    def _build(self, c, activation):
        self.padding_idx = int(c.get("pad_token_id", 1))
        self.roberta = Body(c, activation, pooler=False)
        self.classifier = RobertaHead(c["hidden_size"], self.labels)

    def body(self):
        return self.roberta

    def positions(self, input_ids):
        # RoBERTa numbers real tokens from padding_idx + 1; padding keeps padding_idx.
        real = (input_ids != self.padding_idx).long()
        return torch.cumsum(real, dim=1) * real + self.padding_idx

    def head(self, first):
        return self.classifier.out_proj(torch.tanh(self.classifier.dense(first)))
