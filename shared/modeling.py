"""The one per-process model cache, and loading a trained classifier for inference (no Gradio here).

`cached(key, loader)` is the cache every task's `load()` goes through: one entry per key, built once even when
the first requests arrive together (each key has its own lock, so a slow load of one model never blocks
another model's callers).

`load_classifier(where)` accepts what `shared.hub.resolve` returns: a local folder or a Hub id, holding either
a PEFT LoRA adapter (adapter_config.json, as training/common.py writes) or a plain full model. For an adapter
the base named in adapter_config.json is loaded through `shared.hub.base_model_path` (the packaged copy when
there is one), the adapter is applied and merged (`merge_and_unload`), so inference costs the same as the
plain model. safetensors only, never remote code; one load per process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from shared import hub


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
_locks: dict = {}
_locks_lock = threading.Lock()


def cached(key, loader):
    """`loader()` the first time `key` is asked for, the same object afterwards; concurrent first callers of
    one key wait for a single load."""
    with _locks_lock:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        if key not in _cache:
            _cache[key] = loader()
        return _cache[key]


def clear_cache() -> None:
    with _locks_lock:
        _cache.clear()
        _locks.clear()


def loaded() -> list:
    """The keys loaded so far (for tests and the warm-up log)."""
    return list(_cache)


HEADS = {"sequence": "AutoModelForSequenceClassification", "token": "AutoModelForTokenClassification",
         "qa": "AutoModelForQuestionAnswering", "mlm": "AutoModelForMaskedLM"}


def cpu_has_bf16() -> bool:
    """Whether this CPU computes in bf16 natively (AVX512-BF16 or AMX), read at run time: the machine a Space
    or a training run lands on varies."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _load(where: str, head: str = "sequence"):
    import torch
    import transformers
    from transformers import AutoConfig, AutoTokenizer
    from transformers.utils import logging as hf_logging

    auto_class = getattr(transformers, HEADS[head])

    adapter = _adapter_config(where)
    if adapter is None:
        model = auto_class.from_pretrained(where, use_safetensors=True, dtype=torch.float32)  # fp16 files too
        tokenizer = AutoTokenizer.from_pretrained(where)
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
        model = PeftModel.from_pretrained(base, where).merge_and_unload()
        try:
            tokenizer = AutoTokenizer.from_pretrained(where)
        except (OSError, ValueError):
            tokenizer = AutoTokenizer.from_pretrained(base_path)
    model.eval()
    return model, tokenizer


def head_of(folder: str | os.PathLike) -> str:
    """The HEADS key of a local checkpoint, from its config's `architectures` ("sequence" when it names none)."""
    import json

    names = json.loads((Path(folder) / "config.json").read_text()).get("architectures") or []
    for head, auto_class in HEADS.items():
        if any(name.endswith(auto_class.removeprefix("AutoModel")) for name in names):
            return head
    return "sequence"


def load_classifier(folder_or_hub_id: str | os.PathLike, head: str = "sequence"):
    """(model, tokenizer) ready for inference: eval mode, adapter merged. Cached per process. `head`: a key of
    HEADS ("sequence", "token", "qa", "mlm")."""
    where = str(folder_or_hub_id)
    if os.path.isdir(where):
        where = str(Path(where).resolve())
    return cached(("classifier", where, head), lambda: _load(where, head))
