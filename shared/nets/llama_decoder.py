"""Decoding with a transformers Llama model (SmolLM2) one token at a time, written out over the model's own
modules: what `LlamaForCausalLM.forward` computes with a key/value cache, without its general machinery.

A SmolLM2 decoding step is 30 layers of small matrix-vector products, so the Python around them counts: through
`forward` a step with int8 weights took 21.4 ms, of which the matrix products were about 12 and the rest the cache
object's concatenations, the mask and attention dispatch and the output records, for one token. Here each layer is
its own modules (norms, projections, MLP: the same weights and kernels, whatever their precision) with rotary
embeddings, a preallocated cache and `scaled_dot_product_attention` in between.

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
        dtype = model.embed_tokens.weight.dtype
        shape = (len(model.layers), 1, self.kv_heads, max_tokens, self.head_dim)
        self.keys, self.values = torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)  # written before read
        self.length = 0

    def __call__(self, ids: torch.Tensor) -> torch.Tensor:
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

        past, new = self.length, ids.shape[1]
        if past + new > self.keys.shape[3]:
            raise ValueError(f"{past + new} tokens, past this decoder's {self.keys.shape[3]}.")
        x = self.model.embed_tokens(ids)
        cos, sin = self.model.rotary_emb(x, torch.arange(past, past + new)[None])
        mask = None if new == 1 else torch.ones(new, past + new, dtype=torch.bool).tril(past)
        for i, layer in enumerate(self.model.layers):
            attention, h = layer.self_attn, layer.input_layernorm(x)
            q = attention.q_proj(h).view(1, new, self.heads, self.head_dim).transpose(1, 2)
            k = attention.k_proj(h).view(1, new, self.kv_heads, self.head_dim).transpose(1, 2)
            v = attention.v_proj(h).view(1, new, self.kv_heads, self.head_dim).transpose(1, 2)
            q, k = apply_rotary_pos_emb(q, k, cos, sin)
            self.keys[i, :, :, past:past + new] = k
            self.values[i, :, :, past:past + new] = v
            out = F.scaled_dot_product_attention(q, self.keys[i, :, :, :past + new], self.values[i, :, :, :past + new],
                                                 attn_mask=mask, scale=attention.scaling, enable_gqa=True)
            x = x + attention.o_proj(out.transpose(1, 2).reshape(1, new, self.heads * self.head_dim))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        self.length = past + new
        return self.net.lm_head(self.model.norm(x[:, -1:]))[0, -1].float()
