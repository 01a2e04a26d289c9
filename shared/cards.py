"""Model cards: written by every training script, read by every Space header.

A card's YAML carries license, base_model, datasets, metrics and a `model-index` (one EvalResult per
row of the results table), so the Hub renders it and `card_summary` can read the headline back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData


@dataclass
class Result:
    """One row of a card's table: a metric on a held-out split, next to a baseline on the same split."""

    split: str  # e.g. "Rotten Tomatoes test (1,061 sentences)"
    metric: str  # evaluate's name: "accuracy", "f1", ...
    value: float
    baseline: str = ""  # e.g. "VADER compound score"
    baseline_value: float | None = None
    dataset_id: str = ""  # a short id for the model-index, e.g. "vader-rotten-tomatoes"


def _table(results: list[Result]) -> str:
    """The card's results table; the better score of each row is in bold (every metric here: higher is better)."""
    rows = ["| split | metric | this model | baseline | baseline score |", "|---|---|---|---|---|"]
    for r in results:
        ours, base = f"{r.value:.3f}", "" if r.baseline_value is None else f"{r.baseline_value:.3f}"
        if r.baseline_value is not None and r.baseline_value > r.value:
            base = f"**{base}**"
        else:
            ours = f"**{ours}**"
        rows.append(f"| {r.split} | {r.metric} | {ours} | {r.baseline} | {base} |")
    return "\n".join(rows)


def write_model_card(folder: str | Path, *, title: str, summary: str, base_model: str, datasets: list[str],
                     license: str, pipeline_tag: str, task_name: str, results: list[Result],
                     data_section: str, training_section: str, tags: list[str] | None = None,
                     plot: str | None = None, extra: str = "") -> ModelCard:
    """Write `folder/README.md` and return the card."""
    data = ModelCardData(
        license=license,
        base_model=base_model,
        datasets=datasets,
        metrics=sorted({r.metric for r in results}),
        pipeline_tag=pipeline_tag,
        library_name="transformers",
        tags=["nlp-course-live", *(tags or [])],
        model_name=title,
        eval_results=[  # one per (split, metric): a table row per baseline must not repeat the model's score
            EvalResult(task_type=pipeline_tag, task_name=task_name, dataset_type=r.dataset_id or r.split,
                       dataset_name=r.split, metric_type=r.metric, metric_value=round(float(r.value), 4))
            for r in {(r.split, r.metric): r for r in results}.values()
        ],
    )
    body = [
        f"# {title}",
        "",
        summary,
        "",
        "## Results",
        "",
        "Measured on held-out splits this checkpoint never trained on; baselines measured on the same splits.",
        "",
        _table(results),
        "",
        "## Data",
        "",
        data_section,
        "",
        "## Training",
        "",
        training_section,
    ]
    if plot:
        body += ["", f"![training curve]({plot})"]
    if extra:
        body += ["", extra]
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(body) + "\n")
    card.save(Path(folder) / "README.md")
    return card


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
