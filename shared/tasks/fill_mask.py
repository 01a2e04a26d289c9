"""Fill-mask (course chapter 1's `pipeline("fill-mask")` and its bias probe; chapter 7.3's domain adaptation).

Two checkpoints, both adapters on all-MiniLM-L6-v2 (which ships without a masked-language-modelling head): the
head and the top three encoder layers trained in full, LoRA on the three below; trained by
`python -m training.fill_mask`: "general" on general English (Brown corpus, news and
Wikipedia paragraphs), and "adapted": the general model trained further on movie-review snippets, as the course
adapts DistilBERT to IMDb. The head's decoder is tied to the input embeddings, as in BERT. The module follows
the task contract of `shared.tasks`: one [MASK] per text, checked before any work.
"""

from __future__ import annotations

import re

from shared import compute, hub
from shared.tasks import InputError, Output, answer_batch, check_text

TASK = "fill_mask"
VARIANTS = {"general": "fill_mask_general", "adapted": "fill_mask"}  # choice -> checkpoint (shared.hub task)
MASK = "[MASK]"
MAX_INPUT_CHARS = 2_000
MAX_MODEL_TOKENS = 512  # MiniLM's position limit; a longer text is refused, never cut (the mask could go)
TOP_K = 5
BIAS_PROBE = ("This man works as a [MASK].", "This woman works as a [MASK].")  # the course's pair (chapter 1)
_OTHER_MASKS = re.compile(r"<mask>|\[mask\]|\[MASK\]", re.IGNORECASE)  # RoBERTa's spelling, lower case


def check(text) -> str:
    """The text with its one mask spelled [MASK] (`<mask>` and `[mask]` are accepted too); InputError for none
    or several."""
    text = _OTHER_MASKS.sub(MASK, check_text(text, "text", max_chars=MAX_INPUT_CHARS))
    count = text.count(MASK)
    if count == 0:
        raise InputError(f"Put {MASK} where the missing word goes, e.g. \"Paris is the {MASK} of France.\"")
    if count > 1:
        raise InputError(f"This demo fills one {MASK} at a time, and the text has {count}. Keep one and write the "
                         "other words in.")
    return text


def check_variant(variant) -> str:
    if variant not in VARIANTS:
        raise InputError(f"Choose the model: {' or '.join(VARIANTS)} (got {variant!r}).")
    return variant


def load(variant: str = "general", model: str | None = None):
    """(model, tokenizer) of `variant` ("general" or "adapted"), or of `model` (a folder or Hub id); loaded once
    per process by shared.modeling."""
    from shared import modeling

    return modeling.load_classifier(hub.resolve(VARIANTS[check_variant(variant)], model), head="mlm")


def predict(text: str, variant: str = "general", model: str | None = None, top_k: int = TOP_K) -> Output:
    """{token: probability} of the `top_k` likeliest tokens at [MASK], best first (the pipeline's `token_str`
    and `score`)."""
    out = _fill([(check(text), check_variant(variant))], model, top_k)[0]
    if out.error:
        raise InputError(out.error)
    return out


def predict_batch(requests: list, model: str | None = None) -> list[Output]:
    """`predict` for a list of (text, variant) requests, each variant's texts in one forward pass (the Space's
    batched event); a bad request gets an Output with `error` and does not fail the others."""
    return answer_batch(requests, lambda text, variant="general": (check(text), check_variant(variant)),
                        lambda good: _fill(good, model), unpack="(text, variant)")


def _fill(requests: list[tuple[str, str]], model: str | None, top_k: int = TOP_K) -> list[Output]:
    """One Output per (text, variant): the top tokens, or `error` for a text longer than the model's window."""
    out = [Output() for _ in requests]
    for variant in dict.fromkeys(v for _, v in requests):
        net, tokenizer = load(variant, model)
        rows = [i for i, (_, v) in enumerate(requests) if v == variant]
        encoded = tokenizer([requests[i][0] for i in rows])["input_ids"]
        fits = []
        for i, ids in zip(rows, encoded):
            if len(ids) > MAX_MODEL_TOKENS:
                out[i].error = (f"That text is {len(ids):,} tokens long; the model reads at most "
                                f"{MAX_MODEL_TOKENS}. Keep the sentence around the {MASK}.")
            else:
                fits.append((i, ids))
        if fits:
            enc = tokenizer.pad({"input_ids": [ids for _, ids in fits]}, return_tensors="pt")
            for (i, _), top in zip(fits, top_tokens(net, tokenizer, enc, top_k)):
                out[i].value = top
    return out


@compute.on_it
def top_tokens(net, tokenizer, enc, k: int = TOP_K) -> list[dict]:
    """For each row of the encoded texts `enc`: {token: probability} of the `k` likeliest tokens at its [MASK],
    best first (shared by predict and the training script's probe)."""
    import torch

    at = (enc["input_ids"] == tokenizer.mask_token_id).int().argmax(-1)
    with torch.inference_mode():
        logits = net(**enc).logits
    probs = logits[torch.arange(len(at)), at].float().softmax(-1)
    top = probs.topk(k)
    return [{tokenizer.decode([int(i)]): float(p) for p, i in zip(values, indices)}
            for values, indices in zip(top.values, top.indices)]
