"""Decoding with a transformers GPT-2 model (the code model trained here) one token at a time, written out over the
model's own modules, as `llama_decoder` does for SmolLM2: what `GPT2LMHeadModel.forward` computes with a key/value
cache, without its general machinery.

The code model is small (6 layers, width 256): through `forward`, a step took 5.8 ms on an AVX2-only AMD EPYC (173
tok/s), of which its matrix products (2.4 ms) were under half and the rest the cache object, the masks, the
attention dispatch and the output records. Here each block is its own layer norms and projections (the same
modules and weights), a preallocated cache and `scaled_dot_product_attention` in between, and the output layer
reads only the last position: 4.1-5.5 ms a step on that machine (182-242 tok/s over five runs).

`supports(net)` says whether a model is one this covers (GPT-2 without cross-attention or reordered attention);
for any other the caller keeps `forward`.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def supports(net) -> bool:
    config = net.config
    return (config.model_type == "gpt2" and not config.add_cross_attention and not config.reorder_and_upcast_attn
            and hasattr(net, "transformer"))


class GPT2Decoder:
    """`decoder(ids)` -> the logits (fp32, vocabulary-sized) after the last of `ids` ((1, n) token ids), each call
    continuing the text of the calls before it; at most `max_tokens` tokens in all (and the model's positions)."""

    def __init__(self, net, max_tokens: int):
        config, model = net.config, net.transformer
        self.net, self.model = net, model
        self.heads = config.n_head
        self.head_dim = config.n_embd // self.heads
        dtype = model.wte.weight.dtype
        shape = (len(model.h), 1, self.heads, min(max_tokens, config.n_positions), self.head_dim)
        self.keys, self.values = torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)  # written before read
        self.length = 0

    def __call__(self, ids: torch.Tensor) -> torch.Tensor:
        past, new = self.length, ids.shape[1]
        if past + new > self.keys.shape[3]:
            raise ValueError(f"{past + new} tokens, past this decoder's {self.keys.shape[3]}.")
        x = self.model.wte(ids) + self.model.wpe.weight[past:past + new]
        mask = None if new == 1 else torch.ones(new, past + new, dtype=torch.bool).tril(past)
        for i, block in enumerate(self.model.h):
            attention, mlp = block.attn, block.mlp
            q, k, v = attention.c_attn(block.ln_1(x)).view(1, new, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
            self.keys[i, :, :, past:past + new], self.values[i, :, :, past:past + new] = k, v
            out = F.scaled_dot_product_attention(q, self.keys[i, :, :, :past + new], self.values[i, :, :, :past + new],
                                                 attn_mask=mask, scale=attention.scaling)
            x = x + attention.c_proj(out.transpose(1, 2).reshape(1, new, -1))
            x = x + mlp.c_proj(mlp.act(mlp.c_fc(block.ln_2(x))))
        self.length = past + new
        return self.net.lm_head(self.model.ln_f(x[:, -1:]))[0, -1].float()
