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
    with pytest.raises(hub.CheckpointNotFound, match=r"python -m training\.ner"):
        hub.resolve("ner")


def test_packaged_minilm_is_found_by_its_hub_id():
    path = hub.base_model_path(hub.MINILM)
    assert path != hub.MINILM and path.endswith("model")
    assert hub.base_model_path("bert-base-uncased") == "bert-base-uncased"


def test_card_round_trip(tmp_path):
    results = [cards.Result("RT test", "accuracy", 0.871, "VADER", 0.702, "rt"),
               cards.Result("RT test", "accuracy", 0.871, "majority class", 0.503, "rt"),
               cards.Result("Amazon test", "accuracy", 0.80, "VADER", 0.75, "amazon"),
               cards.Result("Tweets test", "accuracy", 0.83, "VADER", 0.977, "tweets")]
    cards.write_model_card(tmp_path, title="Tiny", summary="A test card.", base_model=hub.MINILM,
                           datasets=["vader"], license="mit", pipeline_tag="text-classification",
                           task_name="Sentiment", results=results, data_section="d", training_section="t")
    card = ModelCard.load(tmp_path / "README.md")
    assert card.data.license == "mit" and card.data.base_model == hub.MINILM
    assert card.data.eval_results[0].metric_value == pytest.approx(0.871)
    assert [r.dataset_name for r in card.data.eval_results] == ["RT test", "Amazon test", "Tweets test"]  # once each
    assert "| RT test | accuracy | **0.871** | majority class | 0.503 |" in card.text
    assert "| Tweets test | accuracy | 0.830 | VADER | **0.977** |" in card.text  # the better score is the bold one
    assert "| RT test | accuracy | **0.871** | VADER | 0.702 |" in card.text
    assert cards.card_summary(tmp_path)["headline"] == "accuracy 0.871 on RT test"
    assert cards.card_summary(tmp_path / "missing") == {}
