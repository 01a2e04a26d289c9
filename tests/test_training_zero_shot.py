"""Zero-shot training side: Debian-topics and Brown builders, the calibration smoke run."""

import json

import pytest

from shared import hub
from shared.data import brown, debian_topics
from shared.tasks import zero_shot as zs
from training.common import SMOKE_DATA

FIXTURE = SMOKE_DATA / "brown"
TOPICS_FIXTURE = SMOKE_DATA / "debian_topics"
BAKING = "Whisk the eggs with sugar, fold in the flour and bake the cake for twenty minutes."
FOOTBALL = "The striker scored twice in the second half and the home side won the cup final on penalties."


# ------------------------------------------------------------------------------------------ data

def test_detokenize_quotes_and_punctuation():
    tokens = ["``", "Only", "a", "handful", "''", ",", "the", "jury", "said", "(", "1", ")", "."]
    assert brown.detokenize(tokens) == '"Only a handful", the jury said (1).'


def test_brown_fixture_split_by_document():
    ds = brown.load_brown(FIXTURE, sentences_per_passage=5, seed=0)
    dev_docs, test_docs = set(ds["dev"]["document"]), set(ds["test"]["document"])
    assert dev_docs and test_docs and not dev_docs & test_docs
    assert dev_docs | test_docs == {"ca01", "ca02", "cd01", "cd02", "cp01", "cp02"}
    names = ds["dev"].features["label"].names
    for split in ("dev", "test"):  # every genre of the fixture on both sides, human-readable names
        assert {names[i] for i in ds[split]["label"]} == {"news", "religion", "romance"}
    for row in ds["test"]:
        assert "``" not in row["text"] and "/" not in row["text"] and row["text"][0].isupper()
    # passages never straddle documents: each fixture file has 6 sentences -> passages of 5 and 1
    assert sorted(ds["dev"]["passage"]) == [0, 0, 0, 1, 1, 1]
    assert brown.load_brown(FIXTURE, seed=0)["dev"]["document"] == ds["dev"]["document"]  # seeded


def test_debian_description_text():
    raw = "console-based audio player\n AdPlay plays OPL2 files.\n .\n It supports\n many formats."
    assert debian_topics.description_text(raw) == "Console-based audio player. AdPlay plays OPL2 files. It supports many formats."


def test_debian_topics_fixture_split_by_source_package():
    ds = debian_topics.load_debian_topics(TOPICS_FIXTURE, seed=0)
    names = ds["dev"].features["label"].names
    assert names == debian_topics.LABELS and "amateur radio" in names and "hamradio" not in names
    rows = {side: list(ds[side]) for side in ("dev", "test")}
    dev_sources, test_sources = ({r["source"] for r in rows[s]} for s in ("dev", "test"))
    assert dev_sources and test_sources and not dev_sources & test_sources
    packages = {r["package"] for side in rows.values() for r in side}
    # libs is not a topic, offlineimap is a transitional package; 0ad-data-common shares its source (and
    # text) with 0ad-data: one example per source package and section
    assert packages == {"0ad", "0ad-data", "gnuchess", "fortune-mod", "mutt", "abook", "fetchmail", "gnuplot",
                        "maxima", "xcas"}
    assert {r["source"] for side in rows.values() for r in side if r["package"] == "xcas"} == {"giac"}
    for side in ("dev", "test"):  # every label with >= 2 source packages on both sides, readable names
        assert {"games", "email", "mathematics"} <= {names[r["label"]] for r in rows[side]}
    by_package = {r["package"]: r for side in rows.values() for r in side}
    assert names[by_package["mutt"]["label"]] == "email" and by_package["mutt"]["section"] == "mail"
    text = by_package["0ad"]["text"]  # short + long description, one line
    assert text.startswith("Real-time strategy game of ancient warfare. 0 A.D.") and "\n" not in text
    assert debian_topics.load_debian_topics(TOPICS_FIXTURE, seed=0)["dev"]["package"] == ds["dev"]["package"]
    assert len(debian_topics.load_debian_topics(TOPICS_FIXTURE, seed=0, max_per_label=1)["test"]) == 3
    with pytest.raises(FileNotFoundError):
        debian_topics.load_debian_topics(FIXTURE)  # a folder without apt lists


# ---------------------------------------------------------------------------------- training smoke

def test_training_smoke_writes_valid_folder(tmp_path):
    from huggingface_hub import ModelCard

    from training import zero_shot as train

    out = train.main(["--smoke", "--output-dir", str(tmp_path), "--no-cache"])
    config = json.loads((out / zs.CONFIG_NAME).read_text())
    assert config["encoder"] == hub.MINILM and config["pooling"] == "mean"
    assert config["template"] in zs.TEMPLATES and config["single_label"]["scale"] > 0
    assert config["calibrated_on"].startswith("Debian topics dev split (6 descriptions")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["topics"]["baselines_test"]["random"]["accuracy"] == pytest.approx(1 / 4)
    assert metrics["brown"]["baselines_test"]["random"]["accuracy"] == pytest.approx(1 / 3)
    assert metrics["topics"]["test"]["descriptions"] == 4 and metrics["brown"]["test"]["passages"] == 6
    assert (out / "confusion_matrix_brown.png").stat().st_size > 1000
    assert (out / "confusion_matrix.png").stat().st_size > 1000
    card = ModelCard.load(out / "README.md")
    assert card.data.base_model == hub.MINILM and card.data.pipeline_tag == "zero-shot-classification"
    headline = card.data.eval_results[0]
    assert headline.metric_type == "accuracy" and headline.dataset_type == "debian-topics-test"
    assert headline.metric_value == pytest.approx(metrics["topics"]["test"]["accuracy"], abs=1e-4)
    assert not list(out.glob("*.safetensors"))  # config only, the encoder is the packaged base model
    # the folder works as a checkpoint, and the card's examples are what predict() answers with it
    assert zs.predict(FOOTBALL, "cooking, sports", model=str(out)).label == "sports"
    first = metrics["examples"][0]
    text, labels = train.EXAMPLES[0]
    assert first["single_label"] == pytest.approx(zs.predict(text, labels, model=str(out)).value, abs=1e-3)

    # --rescore scores every test text as predict() does (spot-checked against it): the same figures as the
    # batched evaluation, and the config is not touched
    rescored = train.main(["--rescore", "--output-dir", str(tmp_path)])
    after = json.loads((out / "metrics.json").read_text())
    assert json.loads((out / zs.CONFIG_NAME).read_text()) == config and rescored == out
    for name in ("topics", "brown"):
        assert flat(after[name]["test"]) == pytest.approx(flat(metrics[name]["test"]), abs=1e-4)
    assert "--rescore" in (out / "README.md").read_text()


def flat(d: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1} (pytest.approx compares flat dicts only)."""
    out = {}
    for k, v in d.items():
        out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out
