"""OPT (OPTForCausalLM): learned positions offset by 2 and derived from the attention mask,
pre- or post-LayerNorm blocks, ReLU MLP, optional input/output projections (OPT-350m), tied LM head."""
import torch
from torch import nn

from .base import ExportableModel
from .blocks import ACTIVATIONS, attend, causal_bias, merge_heads, split_heads
from .errors import ExportError

POSITION_OFFSET = 2  # OPT's learned position table reserves its first two rows


class Attention(nn.Module):
    def __init__(self, width, heads, bias):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(width, width, bias=bias)
        self.k_proj = nn.Linear(width, width, bias=bias)
        self.v_proj = nn.Linear(width, width, bias=bias)
        self.out_proj = nn.Linear(width, width, bias=bias)

    def forward(self, x, bias):
        q, k, v = (split_heads(p(x), self.heads) for p in (self.q_proj, self.k_proj, self.v_proj))
        return self.out_proj(merge_heads(attend(q, k, v, bias)))


class Layer(nn.Module):
    def __init__(self, c, activation):
        super().__init__()
        width, bias = c["hidden_size"], c.get("enable_bias", True)
        self.pre_norm = c.get("do_layer_norm_before", True)
        self.self_attn = Attention(width, c["num_attention_heads"], bias)
        self.self_attn_layer_norm = nn.LayerNorm(width, elementwise_affine=c.get("layer_norm_elementwise_affine", True))
        self.fc1 = nn.Linear(width, c["ffn_dim"], bias=bias)
        self.fc2 = nn.Linear(c["ffn_dim"], width, bias=bias)
        self.final_layer_norm = nn.LayerNorm(width, elementwise_affine=c.get("layer_norm_elementwise_affine", True))
        self.activation = activation

    def forward(self, x, bias):
        if self.pre_norm:
            x = x + self.self_attn(self.self_attn_layer_norm(x), bias)
            return x + self.fc2(self.activation(self.fc1(self.final_layer_norm(x))))
        x = self.self_attn_layer_norm(x + self.self_attn(x, bias))
        return self.final_layer_norm(x + self.fc2(self.activation(self.fc1(x))))


class Decoder(nn.Module):
    def __init__(self, c, activation):
        super().__init__()
        width, embed = c["hidden_size"], c.get("word_embed_proj_dim") or c["hidden_size"]
        self.embed_tokens = nn.Embedding(c["vocab_size"], embed)
        self.embed_positions = nn.Embedding(c["max_position_embeddings"] + POSITION_OFFSET, width)
        if embed != width:
            self.project_in = nn.Linear(embed, width, bias=False)
            self.project_out = nn.Linear(width, embed, bias=False)
        if c.get("do_layer_norm_before", True) and not c.get("_remove_final_layer_norm", False):
            self.final_layer_norm = nn.LayerNorm(width, elementwise_affine=c.get("layer_norm_elementwise_affine", True))
        self.layers = nn.ModuleList(Layer(c, activation) for _ in range(c["num_hidden_layers"]))


class Body(nn.Module):
    def __init__(self, c, activation):
        super().__init__()
        self.decoder = Decoder(c, activation)


class Opt(ExportableModel):
    family = "opt"
    input_names = ("input_ids", "attention_mask")
    optional_prefix = "model."
    tied = True

    def __init__(self, config):
        super().__init__()
        c = dict(config)
        name = c.get("activation_function", "relu")
        if name not in ACTIVATIONS:
            raise ExportError(f"OPT activation '{name}' is not supported.", ", ".join(ACTIVATIONS), name)
        if c.get("tie_word_embeddings", True) is False:
            raise ExportError("This OPT checkpoint does not tie its LM head.", "tie_word_embeddings: true", "false")
        self.config = c
        self.model = Body(c, ACTIVATIONS[name])
        embed = c.get("word_embed_proj_dim") or c["hidden_size"]
        self.lm_head = nn.Linear(embed, c["vocab_size"], bias=False)
        self.lm_head.weight = self.model.decoder.embed_tokens.weight

    def output_embedding_name(self):
        return "model.decoder.embed_tokens.weight"

    def forward(self, input_ids, attention_mask):
        d = self.model.decoder
        # Positions count real tokens only, so left padding does not shift them (as in Hugging Face).
        positions = torch.cumsum(attention_mask, dim=1) * attention_mask - 1
        x = d.embed_tokens(input_ids)
        if hasattr(d, "project_in"):
            x = d.project_in(x)
        x = x + d.embed_positions(positions + POSITION_OFFSET)
        bias = causal_bias(attention_mask)
        for layer in d.layers:
            x = layer(x, bias)
        if hasattr(d, "final_layer_norm"):
            x = d.final_layer_norm(x)
        if hasattr(d, "project_out"):
            x = d.project_out(x)
        return self.lm_head(x)
