"""Llama (LlamaForCausalLM) and Qwen2 (Qwen2ForCausalLM): rotary positions, RMSNorm, grouped-query
attention, SwiGLU MLP. Qwen2 differs only in having biases on the q/k/v projections."""
from torch import nn

from .base import ExportableModel
from .blocks import ACTIVATIONS, RMSNorm, attend, causal_bias, merge_heads, rotary, split_heads
from .errors import ExportError


class Attention(nn.Module):
    def __init__(self, c, qkv_bias, out_bias):
        super().__init__()
        width, self.heads = c["hidden_size"], c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads") or self.heads
        self.head_dim = c.get("head_dim") or width // self.heads
        self.theta = float(c.get("rope_theta", 10000.0))
        self.q_proj = nn.Linear(width, self.heads * self.head_dim, bias=qkv_bias)
        self.k_proj = nn.Linear(width, self.kv_heads * self.head_dim, bias=qkv_bias)
        self.v_proj = nn.Linear(width, self.kv_heads * self.head_dim, bias=qkv_bias)
        self.o_proj = nn.Linear(self.heads * self.head_dim, width, bias=out_bias)

    def forward(self, x, bias, position_ids):
        q = rotary(split_heads(self.q_proj(x), self.heads), position_ids, self.theta)
        k = rotary(split_heads(self.k_proj(x), self.kv_heads), position_ids, self.theta)
        v = split_heads(self.v_proj(x), self.kv_heads)
        return self.o_proj(merge_heads(attend(q, k, v, bias)))


class Mlp(nn.Module):
    def __init__(self, c, bias):
        super().__init__()
        width, inner = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(width, inner, bias=bias)
        self.up_proj = nn.Linear(width, inner, bias=bias)
        self.down_proj = nn.Linear(inner, width, bias=bias)
        self.activation = ACTIVATIONS[c.get("hidden_act", "silu")]

    def forward(self, x):
        return self.down_proj(self.activation(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c, qkv_bias, out_bias, mlp_bias):
        super().__init__()
        eps = c.get("rms_norm_eps", 1e-6)
        self.input_layernorm = RMSNorm(c["hidden_size"], eps)
        self.self_attn = Attention(c, qkv_bias, out_bias)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], eps)
        self.mlp = Mlp(c, mlp_bias)

    def forward(self, x, bias, position_ids):
        x = x + self.self_attn(self.input_layernorm(x), bias, position_ids)
        return x + self.mlp(self.post_attention_layernorm(x))


class Body(nn.Module):
    def __init__(self, c, qkv_bias, out_bias, mlp_bias):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Layer(c, qkv_bias, out_bias, mlp_bias) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c.get("rms_norm_eps", 1e-6))


class Llama(ExportableModel):
    family = "llama"
    input_names = ("input_ids", "attention_mask", "position_ids")
    ignored_keys = (r"model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq",)
    qkv_bias_default = False

    def __init__(self, config):
        super().__init__()
        c = dict(config)
        if c.get("rope_scaling"):
            raise ExportError(f"{self.family} config.json sets rope_scaling {c['rope_scaling']}.", "no rope_scaling",
                              str(c["rope_scaling"]), "scaled rotary embeddings (linear, dynamic, llama3, yarn) are not implemented.")
        if c.get("hidden_act", "silu") not in ACTIVATIONS:
            raise ExportError(f"{self.family} activation '{c['hidden_act']}' is not supported.", ", ".join(ACTIVATIONS), c["hidden_act"])
        if c.get("use_sliding_window") and c.get("sliding_window") and c["sliding_window"] < c.get("max_position_embeddings", 0):
            raise ExportError("Sliding-window attention is enabled in config.json.", "use_sliding_window: false", "true")
        self.config = c
        self.tied = bool(c.get("tie_word_embeddings", False))
        qkv_bias = bool(c.get("attention_bias", self.qkv_bias_default))
        out_bias = bool(c.get("attention_bias", False))
        self.model = Body(c, qkv_bias, out_bias, bool(c.get("mlp_bias", False)))
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        if self.tied:
            self.lm_head.weight = self.model.embed_tokens.weight

    def output_embedding_name(self):
        return "model.embed_tokens.weight" if self.tied else "lm_head.weight"

    def forward(self, input_ids, attention_mask, position_ids):
        x = self.model.embed_tokens(input_ids)
        bias = causal_bias(attention_mask)
        for layer in self.model.layers:
            x = layer(x, bias, position_ids)
        return self.lm_head(self.model.norm(x))


class Qwen2(Llama):
    family = "qwen2"
    qkv_bias_default = True

    def __init__(self, config):
        # Qwen2 always has q/k/v biases and never an o_proj bias; its config has no attention_bias key.
        super().__init__({k: v for k, v in config.items() if k != "attention_bias"})
