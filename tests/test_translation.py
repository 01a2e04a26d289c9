"""Translation en->fr (course ch7.4): the KDE catalog builder on tiny .mo files, the BLEU/ROUGE wrappers on known
values, --smoke runs of both model shapes (a Marian seq2seq and a LoRA of a causal LM) and of the course preset's
code path on a tiny random Marian, placeholders through the committed checkpoint, and the Space."""

import json
import math
from pathlib import Path

import pytest
import torch

from shared.data import kde
from shared.metrics import generation
from shared.tasks import InputError, translation
from training import common, seq2seq, serving_precision
from training import translation as training_translation

SMOKE = Path(common.SMOKE_DATA) / "kde"


def fixture_catalogs() -> dict:
    return {mo: mo.parent.name for mo in sorted(SMOKE.rglob("*.mo"))}


# ------------------------------------------------------------------ data

def test_a_catalog_gives_its_translated_strings_only():
    pairs = dict(kde.read_mo(SMOKE / "dolphin" / "dolphin.mo"))
    assert pairs["Open the file"] == "Ouvrir le fichier"
    assert pairs["New Folder"] == "Nouveau dossier"  # msgctxt "@action:inmenu" removed from the text
    assert pairs["One file selected"] == "Un fichier sélectionné"  # a plural entry gives its singular pair
    assert "Your names" not in pairs  # translator credits are not translations
    assert "Untranslated string" not in pairs and "Fuzzy string" not in pairs  # msgfmt leaves both out
    assert "" not in pairs  # the header


def test_markup_only_strings_are_dropped_and_pairs_deduplicated():
    assert not kde.has_words("<br/>") and not kde.has_words("%1 %2") and kde.has_words("&File")
    pairs = kde.collect_pairs(fixture_catalogs())
    english = [p["en"] for p in pairs]
    assert "<br/>" not in english and len(english) == len(set(english))
    # "Open the file" is in three catalogs, twice as "Ouvrir le fichier": the most frequent translation wins
    assert next(p["fr"] for p in pairs if p["en"] == "Open the file") == "Ouvrir le fichier"


def test_the_split_is_by_catalog_and_keeps_near_twins_out_of_the_test_side():
    pairs = [{"en": "Open File", "fr": "Ouvrir un fichier", "catalog": "a", "package": "p"},
             {"en": "&Open file...", "fr": "&Ouvrir un fichier...", "catalog": "b", "package": "p"},
             {"en": "Zoom in", "fr": "Zoom avant", "catalog": "b", "package": "p"},
             {"en": "Quit", "fr": "Quitter", "catalog": "c", "package": "p"}]
    for seed in range(6):
        sides = kde.split_by_catalog(pairs, test_size=1, validation_size=1, seed=seed)
        catalogs = {side: {p["catalog"] for p in rows} for side, rows in sides.items()}
        assert not catalogs["train"] & (catalogs["test"] | catalogs["validation"])
        trained = {kde.near_key(p["en"]) for p in sides["train"]}
        assert all(kde.near_key(p["en"]) not in trained for side in ("test", "validation") for p in sides[side])
    assert kde.near_key("&Open file...") == kde.near_key("Open File") == "open file"


def test_load_kde_builds_the_three_splits_from_catalogs():
    data = kde.load_kde(fixture_catalogs(), test_size=4, validation_size=4)
    assert set(data) == {"train", "validation", "test"}
    assert data["train"].column_names == ["en", "fr", "catalog", "package"]
    assert all(len(data[s]) > 0 for s in data)


def test_wider_catalogs_add_training_pairs_and_leave_the_held_out_sides_as_they_were():
    catalogs = fixture_catalogs()
    narrow = next(p for p in catalogs if p.parent.name == "dolphin")
    base = {mo: name for mo, name in catalogs.items() if mo != narrow}
    plain = kde.load_kde(base, test_size=4, validation_size=4)
    wider = kde.load_kde(base, test_size=4, validation_size=4, wider={narrow: "dolphin"})
    for side in ("test", "validation"):
        assert wider[side]["en"] == plain[side]["en"]
    held_out = {kde.near_key(e) for side in ("test", "validation") for e in plain[side]["en"]}
    added = wider["train"]["en"][len(plain["train"]):]
    assert wider["train"]["en"][:len(plain["train"])] == plain["train"]["en"] and added
    assert not set(added) & set(plain["train"]["en"]) and not {kde.near_key(e) for e in added} & held_out
    # a wider string that is a held-out string's near twin is dropped
    sides = {"test": [{"en": "Open File"}], "validation": [], "train": []}
    assert kde.add_training_pairs(sides, [{"en": "&Open file..."}, {"en": "Quit"}]) == 1
    assert [p["en"] for p in sides["train"]] == ["Quit"]


def test_placeholders_are_counted_as_a_multiset():
    assert translation.placeholders("Copy %1 to %2 <b>now</b>") == translation.placeholders("<b>Copier</b> %2 %1")
    assert translation.placeholders_kept(["Delete %1?", "Quit"], ["Supprimer %1 ?", "Quitter"]) == 1.0
    assert translation.placeholders_kept(["Delete %1?"], ["Supprimer ?"]) == 0.0
    # printf's forms count; a percentage, a capitalised "<Dry Run>" (words to translate) and an address do not
    assert set(translation.placeholders('%s, %-5d, %.250s, %lu, %2$s, {name}, <a href="%1">, <br />')) == {
        "%s", "%-5d", "%.250s", "%lu", "%2$s", "{name}", '<a href="%1">', "<br />"}
    assert not translation.placeholders("100% done <Dry Run> <montel@kde.org>")


def test_placeholders_are_shown_to_the_model_as_kde_numbers_and_put_back():
    masked = translation.mask("Copy %s to %2$s in {dir} (%d%%)")
    assert masked == ("Copy %1 to %2 in %3 (%4%%)", ["%s", "%2$s", "{dir}", "%d"], False)
    # the French may reorder them; a number the source never had stays as the model wrote it
    french = translation.unmask("Copier %2 dans %3 depuis %1 (%4%%) %9", masked)
    assert french == "Copier %2$s dans {dir} depuis %s (%d%%) %9"
    assert translation.mask("Delete %2 of %1?")[:2] == ("Delete %1 of %2?", ["%2", "%1"])
    assert translation.mask("100% done") == ("100% done", [], False)


def test_an_accelerator_is_taken_out_and_put_back_before_the_first_letter():
    masked = translation.mask("&French To %1")
    assert masked == ("French To %1", ["%1"], True)
    assert translation.unmask("Français vers %1", masked) == "&Français vers %1"
    assert translation.unmask("Fran&çais vers %1", masked) == "Fran&çais vers %1"  # the model placed one itself
    assert translation.mask("Tom && Jerry &amp; co")[2] is False  # a literal & and an entity are not accelerators
    assert translation.placeholders("Sa&ve %1") == translation.placeholders("&Enregistrer %1")


def test_a_text_is_cut_at_tags_sentence_ends_and_lines_and_joins_back():
    text = '<qt><p>Usage: <code>textfilter COMMAND</code></p><p>Replace it. Then quit.</p>\n<a href="%1">Help</a></qt>'
    pieces = translation.segments(text)
    assert "".join(piece + cut for piece, cut in pieces) == text
    assert [p for p, _ in pieces if translation.has_words(p)] == [
        "Usage:", "textfilter COMMAND", "Replace it.", "Then quit.", "Help"]
    assert [p for p, _ in translation.segments("Failed on device <b>%1</b>: %2")] == [
        "Failed on device", "%1", ": %2"]  # "%1" and ": %2" have no words: they are not translated
    assert translation.segments("Change Event <Dry Run>:") == [("Change Event <Dry Run>:", "")]


# ------------------------------------------------------------------ metrics

def test_bleu_and_rouge_wrappers_give_known_values():
    same = ["Ouvrir le fichier maintenant"]
    assert generation.bleu(same, same)["bleu"] == pytest.approx(100)
    # n-gram precisions 5/5, 3/4, 2/3, 1/2 and a brevity penalty exp(1 - 6/5) for 5 words against 6
    score = generation.bleu(["le chat est sur tapis"], ["le chat est sur le tapis"])
    assert score["precisions"] == pytest.approx([100, 75, 100 * 2 / 3, 50])
    assert score["brevity_penalty"] == pytest.approx(math.exp(1 - 6 / 5))
    assert score["bleu"] == pytest.approx(100 * math.exp(1 - 6 / 5) * (1 * 0.75 * 2 / 3 * 0.5) ** 0.25)
    rouge = generation.rouge(["the cat was found under the bed"], ["the cat was under the bed"])
    assert rouge["rouge1"] == pytest.approx(100 * 12 / 13)  # P 6/7, R 6/6
    assert rouge["rouge2"] == pytest.approx(100 * 8 / 11)  # P 4/6, R 4/5
    french = generation.rouge(["un résumé très court"], ["un résumé court"], language="fr")
    assert french["rouge1"] == pytest.approx(100 * 6 / 7)  # "résumé" is one word, not "r" + "sum"


# ------------------------------------------------------------------ training: both shapes learn one batch

def test_marian_smoke_run_learns_one_batch(tmp_path):
    metrics = training_translation.main(["--smoke", "--output-dir", str(tmp_path / "m")])
    before, after = metrics["smoke_losses"]
    assert after <= 0.5 * before
    assert metrics["test"]["test"]["pairs"] > 0 and metrics["base_model"] == "marian-from-scratch"
    net, _tok = translation.load(str(tmp_path / "m"))
    assert net.config.is_encoder_decoder and (tmp_path / "m" / "README.md").is_file()
    # its serving precisions, scored on its own (smoke) test split and put on its card
    result = serving_precision.main(["--task", "translation", "--checkpoint", str(tmp_path / "m"), "--limit", "4"])
    rows = result["translation"]["precisions"]
    assert rows["fp32"]["agreement"] == 1.0 and {"bleu test", "bleu other"} <= set(rows["fp32"]["metrics"])
    assert "fp32" in result["translation"]["passed"] and set(rows) >= {"fp32", "bf16"}
    assert "## Serving precision" in (tmp_path / "m" / "README.md").read_text()


def test_reverse_trains_a_french_to_english_reranker_and_rescores_the_folder(tmp_path):
    out = tmp_path / "m"
    training_translation.main(["--smoke", "--output-dir", str(out)])
    metrics = training_translation.main(["--smoke", "--reverse", "--output-dir", str(out)])
    record = json.loads((out / translation.REVERSE_DIR / translation.RERANK_FILE).read_text())
    sweep = record["validation_bleu_by_weight"]
    assert record["direction"] == "fr-en" and set(sweep) == {"0", "0.25"}
    assert record["weight"] == float(max(sweep, key=sweep.get))
    assert metrics["reranker"] == record and "Reranking (noisy channel)" in (out / "README.md").read_text()
    reverse = translation.load_reverse(str(out), weight=2.0)
    assert reverse.net.config.is_encoder_decoder and reverse.weight == 2.0
    assert (translation.load_reverse(str(out)) is None) == (record["weight"] == 0)
    # each text's beams come back ordered by (forward + weight * log P(English | French)) / French tokens
    texts, french = ["Open the file", "Quit"], ["Ouvrir le fichier", "Fichier", "Quitter", "Ouvrir le fichier"]
    channel = translation.log_likelihood(reverse.net, reverse.tokenizer, french, [texts[0]] * 2 + [texts[1]] * 2)
    lengths = torch.tensor([4.0, 2.0, 3.0, 4.0])
    for forward in (torch.zeros(4), torch.tensor([-1.0, -9.0, -30.0, -2.0])):
        ranked = translation.rerank(texts, french, forward, lengths, reverse)
        score = ((forward + 2.0 * channel) / lengths).tolist()
        assert ranked == [french[i] for i in sorted((0, 1), key=lambda i: -score[i])] + \
            [french[i] for i in sorted((2, 3), key=lambda i: -score[i])]


def test_a_hub_model_without_a_reachable_reranker_is_served_without_one():
    assert translation.reverse_folder("Helsinki-NLP/opus-mt-en-fr") is None  # offline here, as in CI


def test_a_hub_models_reranker_is_fetched_once_per_process(tmp_path, monkeypatch):
    import huggingface_hub

    (tmp_path / translation.REVERSE_DIR).mkdir()
    (tmp_path / translation.REVERSE_DIR / "config.json").write_text("{}")
    calls = []

    def snapshot_download(repo_id, allow_patterns):
        calls.append((repo_id, allow_patterns))
        return str(tmp_path)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    for _ in range(3):
        assert translation.reverse_folder("someone/marian-with-reranker") == tmp_path / translation.REVERSE_DIR
    assert calls == [("someone/marian-with-reranker", [f"{translation.REVERSE_DIR}/*"])]


@pytest.mark.usefixtures("few_smoke_steps")
def test_lora_smoke_run_learns_one_batch_on_the_chat_template(tmp_path):
    """SmolLM2 itself (a random tiny model learns too slowly through LoRA for the 20-step check)."""
    out = tmp_path / "lora"
    metrics = training_translation.main(["--smoke", "--arch", "lora", "--lora-r", "8", "--output-dir", str(out)])
    before, after = metrics["smoke_losses"]
    assert after <= 0.5 * before
    assert (out / "adapter_config.json").is_file() and not (out / "model.safetensors").exists()
    net, _tok = translation.load(str(out))  # base + adapter merged
    assert not net.config.is_encoder_decoder and not hasattr(net, "peft_config")


def test_chat_features_train_on_the_french_only():
    from transformers import AutoTokenizer

    from shared import hub

    tokenizer = AutoTokenizer.from_pretrained(hub.base_model_path(hub.SMOLLM2))
    feats = translation.chat_features({"en": ["Open the file"], "fr": ["Ouvrir le fichier"]}, tokenizer)
    ids, labels = feats["input_ids"][0], feats["labels"][0]
    prompt = translation.prompt_ids(tokenizer, "Open the file")
    assert ids[:len(prompt)] == prompt and labels[:len(prompt)] == [-100] * len(prompt)
    assert tokenizer.decode([t for t in labels if t != -100]).startswith("Ouvrir le fichier")


def test_the_course_preset_fine_tunes_a_pretrained_marian_on_kde4(monkeypatch, tmp_path):
    """--preset course's code path (Helsinki-NLP/opus-mt-en-fr on the Hub's kde4) offline: a tiny random Marian
    folder stands in for the model, and a kde4-shaped dataset (a `translation` column) for load_dataset."""
    import datasets

    pairs = kde.collect_pairs(fixture_catalogs())
    fake_kde4 = datasets.Dataset.from_dict({"id": [str(i) for i in range(len(pairs))],
                                            "translation": [{"en": p["en"], "fr": p["fr"]} for p in pairs]})
    asked = []
    monkeypatch.setattr(common, "check_hub", asked.append)
    monkeypatch.setattr(datasets, "load_dataset",
                        lambda name, **kw: asked.append((name, kw)) or datasets.DatasetDict(train=fake_kde4))
    tokenizer = seq2seq.train_tokenizer([p["en"] for p in pairs] + [p["fr"] for p in pairs], vocab_size=300)
    tiny = tmp_path / "tiny-marian"
    # wide enough (and without dropout) for one batch to overfit in the smoke check's 20 steps
    seq2seq.small_marian(tokenizer, encoder_layers=1, decoder_layers=1, dropout=0.0).save_pretrained(tiny)
    tokenizer.save_pretrained(tiny)
    out = tmp_path / "course"
    metrics = training_translation.main(["--preset", "course", "--smoke", "--model", str(tiny),
                                         "--output-dir", str(out)])
    assert ("kde4", {"lang1": "en", "lang2": "fr"}) in asked
    assert metrics["base_model"] == str(tiny) and metrics["hyperparameters"]["lr"] == 2e-5
    # the course's "untuned vs tuned": the starting model scored on the same strings, a baseline on the card
    assert "bleu" in metrics["test"]["test"]["before"] and metrics["started_from"] is None  # no record: a Hub model
    assert "the model this run started from (--model), before it" in (out / "README.md").read_text()
    before, after = metrics["smoke_losses"]
    assert after <= 0.5 * before
    assert isinstance(translation.predict("Open the file", model=str(out)).value, str)


# ------------------------------------------------------------------ the committed checkpoint and the Space

def test_the_committed_card_describes_every_training_run_and_the_score_before_the_last():
    metrics = common.read_metrics("checkpoints/translation")
    runs = common.lineage(metrics)
    assert runs[0]["base_model"] == "marian-from-scratch" and not runs[0]["started_from"] and metrics["wider_kde"]
    assert metrics["test"]["test"]["model"]["bleu"] > metrics["test"]["test"]["before"]["bleu"]
    card = Path("checkpoints/translation/README.md").read_text()
    assert f"In {len(runs) + 1} runs" in card and f"{len(runs) + 1}. This run: `python -m training.translation" in card
    for n, run in enumerate(runs, 1):
        assert f"{n}. `python -m training.translation" in card
        assert f"{run['hyperparameters']['epochs']:g} epochs, lr {run['hyperparameters']['lr']:g}" in card
    assert f"{metrics['test']['test']['before']['bleu']:.3f}" in card


def test_long_text_is_translated_piece_by_piece_and_keeps_its_breaks():
    text = "Open the file. Save the file!\n\nQuit"
    pieces = translation.segments(text)
    assert "".join(p + sep for p, sep in pieces) == text
    assert [p for p, _ in pieces if p.strip()] == ["Open the file.", "Save the file!", "Quit"]
    out = translation.predict(text).value
    assert out.count("\n\n") == 1 and len(out.split("\n\n")[0]) > 10
    # a message keeps its own outer spaces and trailing newline (gettext checks it) and its capital letter
    out = translation.predict("  Unable to open the file.\n").value
    assert out.startswith("  ") and out.endswith(".\n") and out[2].isupper() and "fichier" in out


def test_placeholders_survive_translation():
    sources = ["Delete %1 files?", "Unable to open %1.", "<b>Warning:</b> the file %1 is read-only.",
               "Copy %1 to %2", "Downloading %1 of %2", "The user `%s' is not a member of group `%s'.",
               "%s: number of bytes is too large", "<qt><p>Usage: <code>textfilter COMMAND</code></p></qt>",
               'See the <a href="%1">manual</a> for {topic}.', "&French To", "Sa&ve As..."]
    outputs = [translation.predict(s).value for s in sources]
    assert translation.placeholders_kept(sources, outputs) == 1.0, outputs


@pytest.mark.parametrize("bad, message", [("", "empty"), ("x" * 6000, "at most 5,000"), (b"\x00\x01", "Expected text")])
def test_bad_input_is_refused_before_any_work(bad, message):
    with pytest.raises(InputError, match=message):
        translation.predict(bad)


@pytest.mark.parametrize("space_client", ["translation"], indirect=True)
def test_translation_space_answers_in_french(space_client):
    french, notice = space_client.predict("Open the file", api_name="/predict")
    assert "fichier" in french.lower() and not notice
    out, _ = space_client.predict("Unable to import %1 using the OFX importer plugin. This file is not the correct "
                                  "format.", api_name="/predict")
    assert "%1" in out and "OFX" in out and out != out.upper()
    long, notice = space_client.predict("Open the file. " + "Save " * 100 + "the file.", api_name="/predict")
    assert "fichier" in long.lower() and "longer than 400 characters" in notice


def test_a_batch_translates_each_text_as_alone_and_a_bad_one_fails_only_itself():
    texts = ["Open the file", "", "Save the document.\nClose the window. Quit the application."]
    outputs = translation.predict_batch(texts)
    assert outputs[1].error and outputs[1].value is None
    assert [outputs[0].value, outputs[2].value] == [translation.predict(texts[0]).value,
                                                    translation.predict(texts[2]).value]
    assert outputs[2].value.count("\n") == 1
