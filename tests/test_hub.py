"""Checkpoint resolution, offline, in the documented order; cards written and read back."""

import pytest
from huggingface_hub import ModelCard

from shared import cards, hub


@pytest.fixture
def ckpt_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "CHECKPOINTS_DIR", tmp_path)
    monkeypatch.delenv("SENTIMENT_MODEL", raising=False)
    return tmp_path


def test_explicit_argument_wins(ckpt_dir, monkeypatch):
    (ckpt_dir / "sentiment").mkdir()
    (ckpt_dir / "sentiment" / "config.json").write_text("{}")
    monkeypatch.setenv("SENTIMENT_MODEL", "someone/else")
    assert hub.resolve("sentiment", "bert-base-uncased") == "bert-base-uncased"


def test_env_var_beats_local_checkpoint(ckpt_dir, monkeypatch):
    (ckpt_dir / "sentiment").mkdir()
    (ckpt_dir / "sentiment" / "config.json").write_text("{}")
    monkeypatch.setenv("SENTIMENT_MODEL", "/models/mine")
    assert hub.resolve("sentiment") == "/models/mine"
    assert hub.env_var("pair_classification") == "PAIR_CLASSIFICATION_MODEL"


def test_local_checkpoint_beats_hub(ckpt_dir, monkeypatch):
    (ckpt_dir / "sentiment").mkdir()
    (ckpt_dir / "sentiment" / "config.json").write_text("{}")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert hub.resolve("sentiment") == str(ckpt_dir / "sentiment")


def test_hub_id_only_when_online(ckpt_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert hub.resolve("sentiment") == hub.HUB_IDS["sentiment"]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(hub.CheckpointNotFound, match=r"python -m training\.sentiment") as e:
        hub.resolve("sentiment")
    assert "SENTIMENT_MODEL" in str(e.value) and "offline" in str(e.value)


def test_empty_checkpoint_folder_does_not_count(ckpt_dir):
    (ckpt_dir / "sentiment").mkdir()
    with pytest.raises(hub.CheckpointNotFound):
        hub.resolve("sentiment")


def test_unknown_task_names_its_training_command(ckpt_dir, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(hub.CheckpointNotFound, match=r"python -m training\.no_such_task"):
        hub.resolve("no_such_task")


def test_packaged_minilm_is_found_by_its_hub_id():
    path = hub.base_model_path(hub.MINILM)
    assert path != hub.MINILM and path.endswith("model")
    assert hub.base_model_path("bert-base-uncased") == "bert-base-uncased"


def test_card_from_metrics_round_trip(tmp_path, monkeypatch):
    """A card rendered from metrics.json alone: YAML metadata, one model-index result per (split, metric), the
    better score of each row in bold, and the headline the Space headers read back."""
    import json
    import shutil

    from training import common

    templates = tmp_path / "cards"
    templates.mkdir()
    shutil.copy(common.CARDS_DIR / "_results.md.j2", templates)
    (templates / "tiny.md.j2").write_text('{% import "_results.md.j2" as t %}---\n{{ card_data }}\n---\n\n'
                                          "# {{ m.card.title }}\n\n{{ t.results_table(results) }}")
    monkeypatch.setattr(common, "CARDS_DIR", templates)

    def row(split, value, baseline, baseline_value, metric="accuracy"):
        return {"split": split, "metric": metric, "value": value, "baseline": baseline,
                "baseline_value": baseline_value, "dataset_id": split.split()[0].lower()}

    metrics = {"card": {"title": "Tiny", "base_model": hub.MINILM, "license": "mit", "datasets": ["vader"],
                        "pipeline_tag": "text-classification", "task_name": "Sentiment", "tags": ["x"]},
               "results": [row("RT test", 0.871, "VADER", 0.702), row("RT test", 0.871, "majority class", 0.503),
                           row("RT test", 0.86, "VADER", 0.70, metric="f1"), row("Amazon test", 0.80, "VADER", 0.75),
                           row("Tweets test", 0.83, "VADER", 0.977),
                           row("RT validation", 0.88, "VADER", 0.71)]}  # another split of RT test's dataset
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    common.write_card(tmp_path, "tiny")
    card = ModelCard.load(tmp_path / "README.md")
    assert card.data.license == "mit" and card.data.base_model == hub.MINILM and card.data.datasets == ["vader"]
    assert card.data.tags == ["nlp-course-live", "x"] and card.data.metrics == ["accuracy", "f1"]
    assert [(r.dataset_name, r.metric_type, r.metric_value) for r in card.data.eval_results] == [
        ("RT test", "accuracy", 0.871), ("RT test", "f1", 0.86), ("Amazon test", "accuracy", 0.8),
        ("Tweets test", "accuracy", 0.83), ("RT validation", "accuracy", 0.88)]  # once per (split, metric),
    # however many baselines; two splits of one dataset are two entries
    assert "| RT test | accuracy | **0.871** | majority class | 0.503 |" in card.text
    assert "| Tweets test | accuracy | 0.830 | VADER | **0.977** |" in card.text  # the better score is the bold one
    assert "| RT test | accuracy | **0.871** | VADER | 0.702 |" in card.text
    assert cards.card_summary(tmp_path) == {"title": "Tiny", "base_model": hub.MINILM,
                                            "headline": "accuracy 0.871 on RT test"}
    assert cards.card_summary(tmp_path / "missing") == {}


def test_a_project_checkpoint_used_as_a_base_is_published_under_its_hub_id():
    assert hub.public_id(str(hub.CHECKPOINTS_DIR / "translation")) == hub.HUB_IDS["translation"]
    assert hub.public_id("checkpoints/translation") == hub.HUB_IDS["translation"]  # from the repo root
    assert hub.public_id("bert-base-cased") == "bert-base-cased"
