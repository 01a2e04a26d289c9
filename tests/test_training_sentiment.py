"""Sentiment training side: the VADER data builder and a --smoke run that writes a loadable checkpoint."""

import json

from huggingface_hub import ModelCard

from shared import hub
from shared.data import vader
from shared.tasks import sentiment
from training.common import SMOKE_DATA

FIXTURE = SMOKE_DATA / "vader"


# ------------------------------------------------------------------ data

def test_builder_on_fixture_splits_and_labels():
    d = vader.build(FIXTURE)
    assert set(d) == {"train", "validation", "test", "test_amazon", "test_nyt", "test_tweets", "lexicon"}
    assert {"masterpiece", ":)", "dull"} <= set(d["lexicon"]["text"]) and "meh" not in d["lexicon"]["text"]
    assert d["train"].features["label"].names == ["negative", "positive"]
    for split in d.values():
        for row in split:
            # SST-2's neutral band (0.4, 0.6] on 0..1 is (-0.8, 0.8] on VADER's -4..+4: dropped
            assert row["label"] == (1 if row["rating"] > 0.8 else 0) and abs(row["rating"]) >= 0.8 - 1e-6
    n_rt = sum(len(d[s]) for s in ("train", "validation", "test"))
    assert n_rt == 32  # 36 fixture lines, 4 near-neutral ones dropped
    ids = [set(d[s]["id"]) for s in ("train", "validation", "test")]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert vader.build(FIXTURE)["test"]["id"] == d["test"]["id"]  # fixed, seeded split
    info = d["test"].info
    assert info.license == "MIT" and "vaderSentiment" in info.description and "Rotten Tomatoes" in info.description


def test_label_threshold_is_sst2s():
    assert [vader.label_of(r) for r in (-2.0, -0.8, -0.79, 0.0, 0.8, 0.81, 3.0)] == [0, 0, None, None, None, 1, 1]


# ------------------------------------------------------------------ training

def test_smoke_training_writes_a_loadable_checkpoint_and_card(tmp_path):
    from training import sentiment as training_sentiment

    out = tmp_path / "ckpt"
    metrics = training_sentiment.main(["--smoke", "--output-dir", str(out)])  # training/smoke_data by default
    before, after = metrics["smoke_losses"]
    assert after < 0.5 * before  # the loss on the one batch went down
    for name in ("adapter_model.safetensors", "adapter_config.json", "config.json", "tokenizer.json",
                 "README.md", "metrics.json", "training_curve.png"):
        assert (out / name).is_file(), name
    assert not (out / "checkpoints").exists()  # Trainer checkpoints removed from a finished run
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == hub.MINILM
    assert json.loads((out / "config.json").read_text())["id2label"] == {"0": "negative", "1": "positive"}
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["data"]["test"] == 4 and set(saved["test"]) == {"test", "test_amazon", "test_nyt", "test_tweets"}
    card = ModelCard.load(out / "README.md")
    assert card.data.base_model == hub.MINILM and card.data.license == "mit"
    assert [(r.dataset_name, r.metric_value) for r in card.data.eval_results] == [
        (r["name"], round(r["model"]["accuracy"], 4)) for r in saved["test"].values()]
    assert "Smoke run" in card.text and "20 steps on one batch of 8 examples" in card.text
    # the folder loads alone, through the same code the Space uses
    model, _tokenizer = sentiment.load(str(out))
    assert model.config.id2label[1] == "positive" and not hasattr(model, "peft_config")  # merged

    # --card-only re-renders the same card from metrics.json alone
    card_text = (out / "README.md").read_text()
    (out / "README.md").unlink()
    training_sentiment.main(["--card-only", "--output-dir", str(out)])
    assert (out / "README.md").read_text() == card_text

    # --rescore re-measures through the Space's predict_batch: the same predictions as the Trainer's, so the
    # same figures; the weights stay as they are
    weights = (out / "adapter_model.safetensors").read_bytes()
    rescored = training_sentiment.main(["--rescore", "--data", str(FIXTURE), "--output-dir", str(out)])
    assert {s: r["model"] for s, r in rescored["test"].items()} == {s: r["model"] for s, r in metrics["test"].items()}
    assert json.loads((out / "metrics.json").read_text())["rescored"] == rescored["rescored"]
    assert "`--rescore`, through `shared.tasks.sentiment.predict_batch`" in (out / "README.md").read_text()
    assert (out / "adapter_model.safetensors").read_bytes() == weights
