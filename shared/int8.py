"""Weight-only int8: a model's Linear layers keep their weights as int8, one scale per output row, and compute
with bf16 activations (`torch._weight_int8pack_mm`, the kernel torchao's int8 weight-only mode calls on CPU).

Decoding one token reads every weight once, so its speed is bytes over memory bandwidth: int8 reads a quarter of
fp32's bytes. Unlike dynamic quantization (`torch.ao.quantization.quantize_dynamic`, which rounds the activations
to int8 too and took SmolLM2's perplexity from 25.6 to 98), only the weights are rounded, per row, to 1/254 of the
row's largest magnitude: perplexity 25.60 -> 25.65 on 40 SQuAD v1.1 dev paragraphs (`benchmarks/generation.py`).
"""

from __future__ import annotations

import copy

import torch


# Up to this many rows (tokens) at once the int8 kernel is used; past it, the weights are unpacked to bf16 for the
# call. Per-token decoding is one row. SmolLM2's layers on an Intel Xeon with AMX, 2 threads: 12 ms for 1 row
# (fp32 weights 22), 37 for 16 (45), 150 for 100 rows against 115 unpacked (fp32 93).
PACKED_ROWS = 32


class Int8Linear(torch.nn.Module):
    """`linear` (an nn.Linear) with int8 weights and a bf16 scale per output feature; returns bf16."""

    def __init__(self, linear: torch.nn.Linear):
        super().__init__()
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127
        self.register_buffer("weight", torch.round(weight / scale[:, None]).to(torch.int8))
        self.register_buffer("scale", scale.to(torch.bfloat16))
        bias = linear.bias
        self.register_buffer("bias", None if bias is None else bias.detach().to(torch.bfloat16))
        self.in_features, self.out_features = linear.in_features, linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).to(torch.bfloat16)
        if rows.shape[0] <= PACKED_ROWS:
            out = torch._weight_int8pack_mm(rows, self.weight, self.scale)
        else:  # a prompt: unpack the weights once and use the bf16 matrix-matrix kernel
            out = torch.nn.functional.linear(rows, self.weight.to(torch.bfloat16) * self.scale[:, None])
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def int8_weights(net: torch.nn.Module) -> torch.nn.Module:
    """A copy of `net` in bf16 whose every nn.Linear is an Int8Linear (`net` itself is left as it was). A tied
    output layer gets its own int8 copy; the embedding it was tied to stays, in bf16."""
    net = copy.deepcopy(net)
    for module in list(net.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(module, name, Int8Linear(child))  # rounded from the weights as they came
    return net.to(torch.bfloat16)
