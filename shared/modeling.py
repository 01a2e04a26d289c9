"""The one per-process model cache, and loading a trained encoder for serving (no Gradio here).

`cached(key, loader)` is the cache every task's `load()` goes through: one entry per key, built once even when
the first requests arrive together; a loaded model is returned at once, and first loads take turns (transformers
builds a model under process-wide settings).

`load_classifier(where)` accepts what `shared.hub.resolve` returns: a local folder or a Hub id, holding either
a PEFT LoRA adapter (adapter_config.json, as training/common.py writes) or a plain full model. For an adapter
the base named in adapter_config.json is loaded through `shared.hub.base_model_path` (the packaged copy when
there is one) and the adapter applied. safetensors only, never remote code; one load per process.

Serving precision (`serving_precision()`), chosen at start from what the CPU reports:
- bf16 where the CPU computes in it natively (AVX512-BF16 or AMX): weights cast to bfloat16;
- int8 dynamic quantization of the Linear layers elsewhere (x86 with fbgemm, ARM with qnnpack);
- fp32 as the fallback, and what training evaluates in. NLP_COURSE_PRECISION=fp32|bf16|int8 forces one.
The seq2seq tasks (translation, summarization) serve the same way through `served`: a batch of 16 texts took half
(translation) to 0.4 (summarization) of fp32's time in bf16 on a 2-CPU Xeon with AMX, one text the same time.
ONNX Runtime 1.32 (installed already: faster-whisper's voice detection runs on it) was measured as a fourth way
and not adopted. On an AMD EPYC with AVX2 only (1 thread), the sentiment model exported with `torch.onnx.export`
(which needs the `onnx` package too) ran one text in 9.2 ms against 18.8 in torch fp32, and a batch of 16 in 85.7
ms against 99.7, with the same logits to 2e-6. But an ORT session holds its own copy of every weight. The suite
shares one MiniLM across its tasks, and it runs at 1.8-1.9 GB of its 2 GB budget.

One base in memory: every tensor of a loaded encoder that equals the packaged base model's (all-MiniLM-L6-v2)
is replaced by one shared copy (`share_base`): the word embeddings (frozen in every task), and whatever else a
task left as it was. LoRA adapters are merged into the layers they adapt (those become the task's own) and the
rest stays shared: as fast as a merged copy per task, about half its memory (benchmarks/shared_base.py).
NLP_COURSE_MERGE_ADAPTERS=0 keeps adapters apart instead, so the whole base is shared (least memory, but each
call pays the LoRA matmuls: ~3.5 ms more per sentiment text at bf16 on a 2-CPU EPYC).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from shared import compute, hub


def _adapter_config(where: str):
    """The PeftConfig when `where` holds an adapter, else None."""
    path = Path(where)
    if path.is_dir():
        if not (path / "adapter_config.json").is_file():
            return None
    from peft import PeftConfig

    try:
        return PeftConfig.from_pretrained(where)
    except Exception:  # a Hub id of a full model (or unreachable): try the plain route
        if path.is_dir():
            raise
        return None


_cache: dict = {}
# One load at a time in a process. transformers sets torch's default dtype and device process-wide while it builds
# a model (the checkpoint's dtype, the meta device), so two loads in two threads corrupt each other: the suite's
# warm-up, loading every tab's model at once, got "expected m1 and m2 to have the same dtype" from SmolLM2 and
# "Tensor on device meta" from fill-mask. Re-entrant: a loader may ask for another cached item (the shared base).
# A model already loaded is returned without waiting for the lock.
_building = threading.RLock()


def row_chunks(batch: dict, size: int):
    """A tokenized batch (tensors sharing their first dimension), `size` rows at a time: a forward pass each, so
    that many visitors' windows never make one huge pass."""
    rows = len(next(iter(batch.values())))
    for start in range(0, rows, size):
        yield {k: v[start:start + size] for k, v in batch.items()}


def probabilities(net, batch: dict, rows: int | None = None):
    """softmax(logits) in fp32 of a classifier `net` over a tokenized `batch`, `rows` rows per forward pass (all
    at once by default); on the compute thread, in inference mode."""
    def run():
        import torch

        with torch.inference_mode():
            chunks = row_chunks(batch, rows) if rows else [batch]
            return torch.cat([net(**chunk).logits.float().softmax(-1) for chunk in chunks])

    return compute.run(run)


def cached(key, loader):
    """`loader()` the first time `key` is asked for, the same object afterwards; concurrent first callers of
    one key wait for a single load, and loads of different keys take turns (see `_building`). The load runs on
    the compute thread (`shared.compute`), where the model's work will run."""
    try:
        return _cache[key]
    except KeyError:
        return compute.run(_build, key, loader)


def _build(key, loader):
    with _building:
        if key not in _cache:
            _cache[key] = loader()
        return _cache[key]


def clear_cache() -> None:
    with _building:
        _cache.clear()


def loaded() -> list:
    """The keys loaded so far (for tests and the warm-up log)."""
    return list(_cache)


HEADS = {"sequence": "AutoModelForSequenceClassification", "token": "AutoModelForTokenClassification",
         "qa": "AutoModelForQuestionAnswering", "mlm": "AutoModelForMaskedLM"}


def _cpuinfo() -> str:
    """/proc/cpuinfo's text ("" where there is none): the model name and flags, read at run time, since the
    machine a Space or a training run lands on varies."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    """The CPU's model name, for every benchmark table and serving check."""
    import platform

    for line in _cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_has_bf16() -> bool:
    """Whether this CPU computes in bf16 natively (AVX512-BF16 or AMX)."""
    flags = _cpuinfo()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_has_amx() -> bool:
    return "amx_bf16" in _cpuinfo()


PRECISION_VARIABLE = "NLP_COURSE_PRECISION"
PRECISIONS = ("fp32", "bf16", "int8")


def int8_engine() -> str | None:
    """The quantized-kernel engine torch has for dynamic int8 on this CPU, or None."""
    import torch

    engines = torch.backends.quantized.supported_engines
    return next((e for e in ("x86", "fbgemm", "qnnpack") if e in engines), None)


def preferred_precisions() -> list[str]:
    """The precisions this CPU serves an encoder fastest in, best first, read at run time. Measured on MiniLM,
    1 thread, ms per text (1 text / batch of 16): an AMD EPYC with AVX512-BF16 but no AMX ran int8 2.9 / 1.2,
    bf16 4.9 / 1.8, fp32 9.5 / 5.8; a Xeon with AMX ran bf16 1.5 and int8 1.9 on batches of 16; an AMD EPYC with
    AVX2 only (no AVX512) ran int8 9.8 / 4.2, fp32 14.9 / 5.8, and bf16 (emulated) 50 / 45."""
    order = (["bf16"] if cpu_has_amx() else []) + (["int8"] if int8_engine() else [])
    order += ["bf16"] if cpu_has_bf16() and "bf16" not in order else []
    return [*order, "fp32"]


def checked_precisions(where: str | os.PathLike | None) -> list[str] | None:
    """The precisions `python -m training.serving_precision` passed for a local checkpoint (None: not checked)."""
    import json

    path = Path(where) / "metrics.json" if where and os.path.isdir(where) else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text()).get("serving", {}).get("passed")


def serving_precision(where: str | os.PathLike | None = None) -> str:
    """"fp32", "bf16" or "int8": what NLP_COURSE_PRECISION says, else the first of `preferred_precisions()` that
    the checkpoint `where` passed at (its metrics.json `serving`; fp32 always passes). Read at each load."""
    forced = os.environ.get(PRECISION_VARIABLE, "auto").strip().lower() or "auto"
    if forced != "auto":
        if forced not in PRECISIONS:
            raise ValueError(f"{PRECISION_VARIABLE}={forced!r}: choose one of {', '.join(PRECISIONS)} or auto")
        return forced
    passed = checked_precisions(where)
    return next(p for p in preferred_precisions() if passed is None or p in passed or p == "fp32")


_BASE_PARTS = ("embeddings.", "encoder.", "pooler.")
_BLOCK = re.compile(r"\.layers?\.\d+\.")  # inside a transformer block: "encoder.layer.3.", "decoder.layers.0."


def base_key(name: str) -> str | None:
    """A parameter's name inside the base encoder, whatever wraps it: "bert.encoder.layer.0...query.weight",
    PEFT's "base_model.model.bert.encoder...query.base_layer.weight" and sentence-transformers'
    "0.auto_model.encoder..." all give "encoder.layer.0...query.weight"; None outside the encoder."""
    name = name.replace(".base_layer.", ".")
    for part in _BASE_PARTS:
        at = name.find(part)
        if at == 0 or at > 0 and name[at - 1] == ".":
            return name[at:]
    return None


def _base_state(base_id: str) -> dict:
    """{base_key: fp32 tensor} read from the packaged base model's safetensors (not kept)."""
    from safetensors.torch import load_file

    files = sorted(Path(hub.base_model_path(base_id)).glob("*.safetensors"))
    return {base_key(k) or k: v for f in files for k, v in load_file(f).items() if v.is_floating_point()}


def base_tensors(base_id: str, dtype) -> dict:
    """{base_key: Parameter} of the packaged base model at `dtype`: the one copy the tasks share, per process."""
    import torch

    return cached(("base-tensors", base_id, str(dtype)), lambda: {
        k: torch.nn.Parameter(v.to(dtype), requires_grad=False) for k, v in _base_state(base_id).items()})


def unchanged_from_base(model, base_id: str) -> set[str]:
    """Names of `model`'s parameters (fp32, before any cast) whose values are the base model's: exactly, or as
    saved in fp16 (a checkpoint stored in half precision holds its frozen embeddings rounded to fp16)."""
    import torch

    base = _base_state(base_id)
    same = set()
    for name, p in model.named_parameters():  # a tied pair (MLM decoder = word embeddings) is listed once
        ref = base.get(base_key(name) or "")
        if ref is not None and ref.shape == p.shape and (torch.equal(ref, p) or torch.equal(ref.half().float(), p)):
            same.add(name)
    return same


def share_base(model, base_id: str, names: set[str]) -> int:
    """Point the parameters `names` of `model` to the one shared copy of the base's; returns the bytes freed."""
    params = dict(model.named_parameters())
    shared = base_tensors(base_id, next(iter(params.values())).dtype)
    swap = {id(params[name]): shared[base_key(name)] for name in names}
    freed = 0
    for module in model.modules():
        for attr, p in module._parameters.items():
            if p is not None and id(p) in swap and p is not swap[id(p)]:
                freed += p.numel() * p.element_size()
                module._parameters[attr] = swap[id(p)]
    return freed


def for_serving(model, precision: str, base_id: str | None = hub.MINILM):
    """`model` (fp32, eval mode) at `precision`, the parameters it has unchanged from `base_id` shared (None:
    share nothing, as for the seq2seq models trained from scratch)."""
    import torch

    same = unchanged_from_base(model, base_id) if base_id else set()
    if precision == "bf16":
        model = model.to(torch.bfloat16)
    if same:
        share_base(model, base_id, same)
    if precision == "int8":
        torch.backends.quantized.engine = int8_engine()
        # the Linear layers of the transformer blocks (an encoder's, a seq2seq model's encoder and decoder), per
        # output row (per tensor: 94% label agreement on sentiment, per row 97.5%); the task head stays in fp32
        qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
        layers = {name: qconfig for name, m in model.named_modules()
                  if isinstance(m, torch.nn.Linear) and _BLOCK.search(f".{name}.")}
        model = torch.ao.quantization.quantize_dynamic(model, layers, dtype=torch.qint8)
    return model.eval()


def served(key, where: str, build, *, checked_in: str | None = None):
    """(model, tokenizer) of a generative task (translation, summarization): `build(where)` loads it in fp32, and
    it serves at `serving_precision(checked_in or where)` (`checked_in`: the checkpoint whose serving check
    covered this model too, as a reranker kept inside it), once per process and precision."""
    precision = serving_precision(checked_in or where)

    def load():
        net, tokenizer = build(where)
        return for_serving(net.eval(), precision, base_id=None), tokenizer
    return cached((key, where, precision), load)


def _load(where: str, head: str = "sequence", precision: str = "fp32", merge: bool = False):
    import torch
    import transformers
    from transformers import AutoConfig, AutoTokenizer
    from transformers.utils import logging as hf_logging

    auto_class = getattr(transformers, HEADS[head])

    adapter = _adapter_config(where)
    if adapter is None:
        model = auto_class.from_pretrained(where, use_safetensors=True, dtype=torch.float32)  # fp16 files too
        tokenizer = AutoTokenizer.from_pretrained(where)
        base_id = _card_base(where)
    else:
        from peft import PeftModel

        base_id = adapter.base_model_name_or_path
        base_path = hub.base_model_path(base_id)
        has_config = (Path(where) / "config.json").is_file() if os.path.isdir(where) else True
        # config.json next to the adapter carries num_labels and id2label; the weights come from the base
        config = AutoConfig.from_pretrained(where if has_config else base_path)
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "classifier newly initialized": the adapter brings it
        try:
            # ignore_mismatched_sizes: a widened token-type table (shared.tasks.ner's casing) comes from the adapter
            base = auto_class.from_pretrained(base_path, config=config, use_safetensors=True,
                                              ignore_mismatched_sizes=True)
        finally:
            hf_logging.set_verbosity(verbosity)
        model = PeftModel.from_pretrained(base, where)
        try:
            tokenizer = AutoTokenizer.from_pretrained(where)
        except (OSError, ValueError):
            tokenizer = AutoTokenizer.from_pretrained(base_path)
    model.eval()
    apart = os.environ.get("NLP_COURSE_MERGE_ADAPTERS") == "0" and precision != "int8" and not merge
    if adapter is not None and not apart:  # (quantize_dynamic does not reach into PEFT's LoRA layers either)
        model = model.merge_and_unload()
    return for_serving(model, precision, base_id if base_id in hub.PACKAGED else None), tokenizer


def _card_base(where: str) -> str | None:
    """base_model of the model card in a local folder (full fine-tunes: their config names no base)."""
    card = Path(where) / "README.md"
    if not card.is_file():
        return None
    from huggingface_hub import ModelCard

    return ModelCard.load(card).data.base_model


def head_of(folder: str | os.PathLike) -> str:
    """The HEADS key of a local checkpoint, from its config's `architectures` ("sequence" when it names none)."""
    import json

    names = json.loads((Path(folder) / "config.json").read_text()).get("architectures") or []
    for head, auto_class in HEADS.items():
        if any(name.endswith(auto_class.removeprefix("AutoModel")) for name in names):
            return head
    return "sequence"


def merged_model(folder: str | os.PathLike, head: str = "sequence"):
    """(model, tokenizer) at fp32 with any adapter merged into its own copy of the base (not cached): the full
    model the Hub serves for an adapter checkpoint."""
    return _load(str(Path(folder).resolve()), head, "fp32", merge=True)


def load_classifier(folder_or_hub_id: str | os.PathLike, head: str = "sequence", precision: str | None = None):
    """(model, tokenizer) ready for inference at `precision` (default `serving_precision()`). Cached per process.
    `head`: a key of HEADS ("sequence", "token", "qa", "mlm")."""
    where = str(folder_or_hub_id)
    if os.path.isdir(where):
        where = str(Path(where).resolve())
    precision = precision or serving_precision(where)
    return cached(("classifier", where, head, precision), lambda: _load(where, head, precision))
