"""Reading a model card's headline (every Space header shows it).

Cards are written by the training scripts (`training.common.write_card`, from the checkpoint's metrics.json and
a template per task); their YAML carries license, base_model, datasets, metrics and a `model-index` with one
entry per (split, metric), the first one being the headline.
"""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import ModelCard


def card_summary(folder: str | Path) -> dict:
    """Title, base model and headline result of the card in `folder` ({} if there is none)."""
    path = Path(folder) / "README.md"
    if not path.is_file():
        return {}
    card = ModelCard.load(path)
    info = {"title": card.data.model_name or Path(folder).name, "base_model": card.data.base_model}
    results = card.data.eval_results or []
    if results:
        r = results[0]
        info["headline"] = f"{r.metric_type} {r.metric_value:.3f} on {r.dataset_name}"
    return info
