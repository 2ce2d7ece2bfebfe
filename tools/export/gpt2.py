"""GPT-2 (GPT2LMHeadModel): learned positions, pre-LayerNorm blocks, fused QKV Conv1D, tied LM head."""
import torch
from torch import nn

from .base import ExportableModel
from .blocks import ACTIVATIONS, attend, causal_bias, merge_heads, split_heads
from .errors import ExportError


class Conv1D(nn.Module):
    """GPT-2's linear layer with its weight stored [in, out]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.matmul(x, self.weight) + self.bias


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = Conv1D(width, 3 * width)
        self.c_proj = Conv1D(width, width)

    def forward(self, x, bias):
        q, k, v = self.c_attn(x).chunk(3, dim=-1)
        y = attend(split_heads(q, self.heads), split_heads(k, self.heads), split_heads(v, self.heads), bias)
        return self.c_proj(merge_heads(y))


class Mlp(nn.Module):
    def __init__(self, width, inner, activation):
        super().__init__()
        self.c_fc = Conv1D(width, inner)
        self.c_proj = Conv1D(inner, width)
        self.activation = activation

    def forward(self, x):
        return self.c_proj(self.activation(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c, activation):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])
        self.attn = Attention(c["n_embd"], c["n_head"])
        self.ln_2 = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])
        self.mlp = Mlp(c["n_embd"], c.get("n_inner") or 4 * c["n_embd"], activation)

    def forward(self, x, bias):
        x = x + self.attn(self.ln_1(x), bias)
        return x + self.mlp(self.ln_2(x))


class Body(nn.Module):
    def __init__(self, c, activation):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList(Block(c, activation) for _ in range(c["n_layer"]))
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])


class Gpt2(ExportableModel):
    family = "gpt2"
    input_names = ("input_ids", "attention_mask", "position_ids")
    ignored_keys = (r"transformer\.h\.\d+\.attn\.(bias|masked_bias)",)
    optional_prefix = "transformer."
    tied = True

    def __init__(self, config):
        super().__init__()
        c = dict(config)
        c.setdefault("layer_norm_epsilon", 1e-5)
        for flag in ("scale_attn_by_inverse_layer_idx", "add_cross_attention"):
            if c.get(flag):
                raise ExportError(f"GPT-2 option '{flag}' is set in config.json.", "false", "true",
                                  "this variant is not implemented by tools/export.")
        name = c.get("activation_function", "gelu_new")
        if name not in ACTIVATIONS:
            raise ExportError(f"GPT-2 activation '{name}' is not supported.", ", ".join(ACTIVATIONS), name)
        if c.get("tie_word_embeddings", True) is False:
            raise ExportError("This GPT-2 checkpoint does not tie its LM head.", "tie_word_embeddings: true", "false")
        self.config = c
        self.transformer = Body(c, ACTIVATIONS[name])
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def output_embedding_name(self):
        return "transformer.wte.weight"

    def hidden_states(self, input_ids, attention_mask, position_ids):
        """The final-norm output [batch, seq, width] that the LM head reads."""
        t = self.transformer
        x = t.wte(input_ids) + t.wpe(position_ids)
        bias = causal_bias(attention_mask)
        for block in t.h:
            x = block(x, bias)
        return t.ln_f(x)

    def forward(self, input_ids, attention_mask, position_ids):
        return self.lm_head(self.hidden_states(input_ids, attention_mask, position_ids))
