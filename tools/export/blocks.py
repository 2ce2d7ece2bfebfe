"""Building blocks shared by the architecture modules.

Everything here is written with plain tensor ops that torch.onnx exports at opset 17 with dynamic
batch and sequence axes: masks are built from Range-style comparisons rather than fixed-size
buffers, and attention is spelled out (no fused kernels) so ONNX Runtime sees ordinary MatMuls.
"""
import math

import torch
from torch import nn

# Added to the scores of masked keys. Finite, so that a query row whose keys are all masked (a left
# padding position) still gets a uniform softmax instead of NaN.
MASKED = -1e9


def causal_bias(attention_mask):
    """Additive attention bias [batch, 1, seq, seq]: key j is visible to query i if j <= i and mask[j] = 1."""
    seq = attention_mask.shape[1]
    positions = torch.arange(seq, device=attention_mask.device)
    causal = positions[None, :] <= positions[:, None]                       # [seq, seq]
    visible = causal[None, None, :, :] & (attention_mask[:, None, None, :] > 0)
    return torch.where(visible, torch.zeros((), dtype=torch.float32), torch.full((), MASKED))


def padding_bias(attention_mask):
    """Additive attention bias [batch, 1, 1, seq] for bidirectional encoders."""
    return (1.0 - attention_mask[:, None, None, :].float()) * MASKED


def split_heads(x, heads):
    """[batch, seq, heads*dim] -> [batch, heads, seq, dim]."""
    batch, seq, width = x.shape
    return x.view(batch, seq, heads, width // heads).transpose(1, 2)


def merge_heads(x):
    """[batch, heads, seq, dim] -> [batch, seq, heads*dim]."""
    batch, heads, seq, dim = x.shape
    return x.transpose(1, 2).reshape(batch, seq, heads * dim)


def attend(q, k, v, bias, scale=None):
    """Scaled dot-product attention over [batch, heads, seq, dim] tensors with an additive bias.

    k and v may have fewer heads than q (grouped-query attention); they are repeated to match.
    """
    if k.shape[1] != q.shape[1]:
        k, v = repeat_kv(k, q.shape[1] // k.shape[1]), repeat_kv(v, q.shape[1] // k.shape[1])
    scale = scale if scale is not None else 1.0 / math.sqrt(q.shape[-1])
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale + bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def repeat_kv(x, groups):
    """[batch, kv_heads, seq, dim] -> [batch, kv_heads*groups, seq, dim], each head repeated `groups`
    times in a row (as repeat_interleave, which torch.onnx would export as a Loop)."""
    batch, heads, seq, dim = x.shape
    return x[:, :, None, :, :].expand(batch, heads, groups, seq, dim).reshape(batch, heads * groups, seq, dim)


def gelu_tanh(x):
    """GPT-2's "gelu_new": the tanh approximation of GELU."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {
    "gelu_new": gelu_tanh, "gelu_pytorch_tanh": gelu_tanh, "gelu_fast": gelu_tanh,
    "gelu": nn.functional.gelu, "relu": torch.relu, "silu": nn.functional.silu, "swish": nn.functional.silu,
}


class RMSNorm(nn.Module):
    """Root-mean-square norm as in Llama and Qwen2: x / sqrt(mean(x^2) + eps) * weight."""

    def __init__(self, width, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotary(x, position_ids, theta):
    """Rotary position embedding in the "rotate half" layout used by Llama and Qwen2.

    x: [batch, heads, seq, dim]; position_ids: [batch, seq].
    """
    dim = x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    angles = position_ids[:, None, :, None].float() * inv_freq           # [batch, 1, seq, dim/2]
    angles = torch.cat([angles, angles], dim=-1)
    half = dim // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * torch.cos(angles) + rotated * torch.sin(angles)


def count_parameters(module):
    """Distinct parameters (a tied tensor counts once)."""
    return sum(p.numel() for p in {id(p): p for p in module.parameters()}.values())
