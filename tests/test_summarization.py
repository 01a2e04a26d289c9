"""Bilingual summarization (course ch7.5): the description builder on a tiny apt list, the language guess, the
lead baseline, a --smoke run, the committed checkpoint and the Space."""

from pathlib import Path

import pytest

from shared.data import descriptions
from shared.tasks import InputError, summarization
from training import common, serving_precision
from training import summarization as training_summarization

LISTS = Path(common.SMOKE_DATA) / "descriptions"
WGET = ("GNU Wget is a free software package for retrieving files using HTTP, HTTPS and FTP, the most widely used "
        "Internet protocols. It is a non-interactive command-line tool, so it may easily be called from scripts, "
        "cron jobs, terminals without X Window System support, etc.")
AUDACITY = ("Audacity est un éditeur audio libre et multiplateforme. Il permet d'enregistrer des sons, de les lire, "
            "d'importer et d'exporter des fichiers WAV, AIFF, MP3 et OGG, et de les modifier avec couper, copier, "
            "coller et de nombreux effets.")


def test_a_description_becomes_text_and_summary():
    raw = "simple audio player\n It plays files.\n Many formats.\n .\n Second paragraph."
    assert descriptions.body_text(raw) == "It plays files. Many formats.\nSecond paragraph."
    assert descriptions.synopsis(raw) == "Simple audio player"


def test_the_builder_reads_both_languages_and_splits_by_source_package():
    examples = descriptions.read_descriptions(LISTS)
    assert {e["language"] for e in examples} == {"en", "fr"}
    data = descriptions.load_descriptions(LISTS, min_words=8, fractions=(0.5, 0.25, 0.25))
    sides = {side: set(ds["source"]) for side, ds in data.items()}
    assert not sides["train"] & sides["test"] and not sides["train"] & sides["validation"]
    for ds in data.values():  # balanced, and the course's filter: summaries of more than 2 words
        assert ds["language"].count("en") == ds["language"].count("fr")
        assert all(len(s.split()) > 2 for s in ds["summary"])


def test_balance_keeps_as_many_of_each_language():
    rows = [{"language": "en", "source": str(i), "package": str(i)} for i in range(5)]
    rows += [{"language": "fr", "source": str(i), "package": str(i)} for i in range(2)]
    kept = descriptions.balance(rows)
    assert [r["language"] for r in kept].count("en") == 2 and len(kept) == 4


def test_language_guess_and_lead_baseline():
    assert summarization.detect_language(WGET) == "en" and summarization.detect_language(AUDACITY) == "fr"
    assert summarization.lead("one two three four", 2) == "one two"


@pytest.mark.usefixtures("few_smoke_steps")
def test_smoke_run_learns_one_batch(tmp_path):
    metrics = training_summarization.main(["--smoke", "--output-dir", str(tmp_path / "s")])
    before, after = metrics["smoke_losses"]
    assert after <= 0.5 * before
    assert set(metrics["test"]["lead_n"]) == {"en", "fr"}
    assert {r["metric"] for r in metrics["results"]} == {"rouge1", "rouge2", "rougeL"}
    # its serving precisions, per language, on its own (smoke) test split
    rows = serving_precision.main(["--task", "summarization", "--checkpoint", str(tmp_path / "s")])[
        "summarization"]["precisions"]
    assert set(rows["fp32"]["metrics"]) == {"rouge1 en", "rougeL en", "rouge1 fr", "rougeL fr"}
    assert rows["bf16"]["examples"] == rows["fp32"]["examples"] == metrics["data"]["test"]


@pytest.mark.parametrize("bad, message", [("", "empty"), ("too short", "at least 8"), ("x " * 15000, "at most 20,000")])
def test_bad_input_is_refused_before_any_work(bad, message):
    with pytest.raises(InputError, match=message):
        summarization.predict(bad)


def test_the_checkpoint_writes_a_shorter_text_in_the_language_it_read():
    for text, language in ((WGET, "en"), (AUDACITY, "fr")):
        out = summarization.predict(text).value
        assert out["language"] == language
        assert 2 <= len(out["summary"].split()) < len(text.split()) / 2, out


@pytest.mark.parametrize("space_client", ["summarization"], indirect=True)
def test_summarization_space_answers_and_names_the_language(space_client):
    summary, language, notice = space_client.predict(AUDACITY, api_name="/predict")
    assert language == "French" and 0 < len(summary) < len(AUDACITY) / 2 and not notice


def test_a_batch_summarizes_each_text_as_alone_and_a_bad_one_fails_only_itself():
    texts = [AUDACITY, "too short", AUDACITY + " " + AUDACITY]
    outputs = summarization.predict_batch(texts)
    assert outputs[1].error and outputs[1].value is None
    assert outputs[0].value == summarization.predict(AUDACITY).value
    assert outputs[2].value == summarization.predict(texts[2]).value
