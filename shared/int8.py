"""Weight-only int8: a model's Linear layers keep their weights as int8, one scale per output row, and compute
with bf16 activations (`torch._weight_int8pack_mm`, the kernel torchao's int8 weight-only mode calls on CPU); a
prompt's many rows go through the weights unpacked, in bf16 or fp32 (`unpacked_dtype`).

Decoding one token reads every weight once, so its speed is bytes over memory bandwidth: int8 reads a quarter of
fp32's bytes. Unlike dynamic quantization (`torch.ao.quantization.quantize_dynamic`, which rounds the activations
to int8 too and took SmolLM2's perplexity from 25.6 to 98), only the weights are rounded, per row, to 1/254 of the
row's largest magnitude: perplexity 25.60 -> 25.65 on 40 SQuAD v1.1 dev paragraphs, 53.15 -> 53.26 on 40 Brown
corpus passages (`benchmarks/generation.py`).

Not used, measured on an AMD EPYC with AVX2 only (2 threads): the output layer (576 x 49,152, a fifth of the
bytes) through fbgemm's dynamic int8 (`quantize_dynamic`, per-row weights) made a token 33.3 -> 28.9 ms. But that
kernel rounds the activations as well: on the 6,070 tokens of 40 Brown passages, its top-1 token matched the fp32
output layer's in 91.0% of positions, against 96.6% for this kernel, and perplexity rose 1.6% (NLL per token
3.9751 -> 3.9910). That is over the project's 0.5% line for perplexity.
"""

from __future__ import annotations

import copy
import functools
import threading

import torch


# Up to this many rows (tokens) at once the int8 kernel is used; past it, the weights are unpacked for the call.
# Per-token decoding is one row. SmolLM2's layers on an Intel Xeon with AMX, 2 threads: 12 ms for 1 row
# (fp32 weights 22), 37 for 16 (45), 150 for 100 rows against 115 unpacked (fp32 93). One 576 x 1536 layer on an
# AMD EPYC with AVX2 only: the kernel 0.07 ms for 1 row, 0.51 for 16, 0.94 for 32; unpacked to fp32, 0.11 + 0.59.
PACKED_ROWS = 32


@functools.cache
def unpacked_dtype() -> torch.dtype:
    """What a prompt's matrix product runs in: bf16 where the CPU computes it natively (AVX512-BF16, AMX), else
    fp32. On an AVX2-only EPYC, bf16 is emulated: SmolLM2 read a 37-token prompt in 0.52 s unpacked to bf16, 0.16
    in fp32 (the fp32 model: 0.14), which is the chat's time to its first token."""
    from shared.modeling import cpu_has_bf16

    return torch.bfloat16 if cpu_has_bf16() or torch.cuda.is_available() else torch.float32


_scratch = threading.local()


def unpacked(weight: torch.Tensor, scale: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """`weight` * `scale` per row, in `dtype`, written into this thread's one reused buffer (valid until the next
    call). A fresh tensor per layer and prompt cost more than the product itself: 3.2 ms against 0.11 for a 576 x
    1536 layer, from the new pages the allocator maps each time. With autograd on, a fresh tensor: the product
    keeps its weights for the backward pass, which the next layer would overwrite."""
    if torch.is_grad_enabled():
        return weight.to(dtype) * scale[:, None]
    buffer = getattr(_scratch, "buffer", None)
    if buffer is None or buffer.dtype != dtype or buffer.numel() < weight.numel():
        with torch.inference_mode(False):  # a normal tensor: usable in and out of inference mode
            buffer = _scratch.buffer = torch.empty(weight.numel(), dtype=dtype)
    out = buffer[:weight.numel()].view(weight.shape)
    out.copy_(weight)
    return out.mul_(scale[:, None])


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
        else:  # a prompt: unpack the weights once and use a matrix-matrix kernel
            dtype = unpacked_dtype()
            out = torch.nn.functional.linear(rows.to(dtype), unpacked(self.weight, self.scale, dtype))
            out = out.to(torch.bfloat16)
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
