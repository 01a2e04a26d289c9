"""Decoding with a transformers Llama model (SmolLM2) one token at a time, written out over the model's own
modules: what `LlamaForCausalLM.forward` computes with a key/value cache, without its general machinery.

A SmolLM2 decoding step is 30 layers of small matrix-vector products, so the Python around them counts: through
`forward` a step with int8 weights took 21.4 ms, of which the matrix products were about 12 and the rest the cache
object's concatenations, the mask and attention dispatch and the output records, for one token. Here each layer is
its own projections (the same weights and kernels, whatever their precision) with one-call norms (`F.rms_norm`,
what `LlamaRMSNorm` computes in seven), rotary embeddings from a table made once, a preallocated cache and
`scaled_dot_product_attention` in between.

`torch.compile(dynamic=True)` of this step was tried on an AMD EPYC with AVX2 only (2 CPUs, int8 weights): 468 s to
compile, then 53 ms a token against 30 for the step as written. Not used.

`supports(net)` says whether a model is one this covers (Llama with default rotary embeddings); for any other the
caller keeps `forward`.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def supports(net) -> bool:
    config = net.config
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    return config.model_type == "llama" and rope.get("rope_type", "default") == "default"


class LlamaDecoder:
    """`decoder(ids)` -> the logits (fp32, vocabulary-sized) after the last of `ids` ((1, n) token ids), each call
    continuing the text of the calls before it; at most `max_tokens` tokens in all."""

    def __init__(self, net, max_tokens: int):
        config, model = net.config, net.model
        self.net, self.model = net, model
        self.heads, self.kv_heads = config.num_attention_heads, config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.eps = config.rms_norm_eps
        dtype = model.embed_tokens.weight.dtype
        shape = (len(model.layers), 1, self.kv_heads, max_tokens, self.head_dim)
        self.keys, self.values = torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)  # written before read
        self.length = 0
        # rotary embeddings of every position: x * cos + rotate_half(x) * sin, where rotate_half(x) = (-x2, x1) is
        # (x2, x1) * (-1, 1): the halves swapped (`_rotate`), and the sign kept in the table
        cos, sin = model.rotary_emb(model.embed_tokens.weight[:1, None], torch.arange(max_tokens)[None])
        half = self.head_dim // 2
        self.cos, self.sin = cos[0], torch.cat([-sin[0, :, :half], sin[0, :, half:]], dim=-1)

    def _norm(self, x, norm):
        return F.rms_norm(x, x.shape[-1:], norm.weight, self.eps)

    def _rotate(self, x, cos, sin):
        return x * cos + x.unflatten(-1, (2, -1)).flip(-2).flatten(-2) * sin

    def __call__(self, ids: torch.Tensor) -> torch.Tensor:
        past, new = self.length, ids.shape[1]
        if past + new > self.keys.shape[3]:
            raise ValueError(f"{past + new} tokens, past this decoder's {self.keys.shape[3]}.")
        x = self.model.embed_tokens(ids)
        cos, sin = self.cos[past:past + new], self.sin[past:past + new]
        mask = None if new == 1 else torch.ones(new, past + new, dtype=torch.bool).tril(past)
        for i, layer in enumerate(self.model.layers):
            attention, mlp, h = layer.self_attn, layer.mlp, self._norm(x, layer.input_layernorm)
            q = attention.q_proj(h).view(1, new, self.heads, self.head_dim).transpose(1, 2)
            k = attention.k_proj(h).view(1, new, self.kv_heads, self.head_dim).transpose(1, 2)
            self.keys[i, :, :, past:past + new] = self._rotate(k, cos, sin)
            self.values[i, :, :, past:past + new] = attention.v_proj(h).view(1, new, self.kv_heads, self.head_dim
                                                                             ).transpose(1, 2)
            out = F.scaled_dot_product_attention(self._rotate(q, cos, sin), self.keys[i, :, :, :past + new],
                                                 self.values[i, :, :, :past + new], attn_mask=mask,
                                                 scale=attention.scaling, enable_gqa=True)
            x = x + attention.o_proj(out.transpose(1, 2).reshape(1, new, self.heads * self.head_dim))
            h = self._norm(x, layer.post_attention_layernorm)
            x = x + mlp.down_proj(mlp.act_fn(mlp.gate_proj(h)) * mlp.up_proj(h))
        self.length = past + new
        return self.net.lm_head(self._norm(x[:, -1:], self.model.norm))[0, -1].float()
