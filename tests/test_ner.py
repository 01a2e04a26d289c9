"""Named entities (course ch7.2): label alignment, casing, the gold set, the committed checkpoint, the Space."""

import numpy as np
import pytest
from conftest import REPO

from shared.data import ner as ner_data
from shared.tasks import InputError, ner

B_PER, I_PER, B_LOC = ner.LABELS.index("B-PER"), ner.LABELS.index("I-PER"), ner.LABELS.index("B-LOC")


def test_labels_are_the_course_order():
    assert ner.LABELS == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def test_alignment_follows_the_course_rule():
    # words: "Tchaikovsky" (3 pieces, B-PER), "lived" (1, O), "in" (O), "Klin" (2 pieces, B-LOC)
    labels = [B_PER, 0, 0, B_LOC]
    word_ids = [None, 0, 0, 0, 1, 2, 3, 3, None]
    assert ner.align_labels_with_tokens(labels, word_ids) == [-100, B_PER, I_PER, I_PER, 0, 0, B_LOC, B_LOC + 1, -100]


def test_alignment_on_the_real_tokenizer():
    tokenizer = pytest.importorskip("training.classification").load_tokenizer(ner.hub.MINILM)
    batch = {"tokens": [["Przybyszewski", "visited", "KLIN"]], "ner_tags": [[B_PER, 0, B_LOC]]}
    enc = ner.tokenize_and_align(batch, tokenizer, use_casing=True)
    pieces = tokenizer.convert_ids_to_tokens(enc["input_ids"][0])
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]" and len(pieces) > 5  # the name splits into pieces
    labels, types = enc["labels"][0], enc["token_type_ids"][0]
    assert labels[0] == labels[-1] == -100 and labels[1] == B_PER
    assert set(labels[2:pieces.index("visited")]) == {I_PER}  # the name's other pieces: I-PER
    assert types[1] == 1 and types[pieces.index("visited")] == 0 and types[-2] == 2  # Capitalized, lower, UPPER


@pytest.mark.parametrize("word, case", [("apple", 0), ("Apple", 1), ("NASA", 2), ("I", 1), ("1984", 0),
                                        ("iPhone", 0), ("U.K.", 2), ("McDonald's", 1)])
def test_casing(word, case):
    assert ner.casing(word) == case


def test_gold_set_is_valid_iob2_with_every_type():
    gold = ner_data.read_conll(ner_data.GOLD_FILE)
    assert len(gold) >= 40
    counts = dict.fromkeys(ner.TYPES, 0)
    for sentence in gold:
        tags = [ner.LABELS[i] for i in sentence["ner_tags"]]
        for previous, tag in zip(["O", *tags], tags):
            if tag.startswith("I-"):
                assert previous[2:] == tag[2:], (sentence["tokens"], tags)
            if tag.startswith("B-"):
                counts[tag[2:]] += 1
    assert min(counts.values()) >= 25, counts


def test_spacy_tags_map_to_conll_types():
    tags = ner_data.spacy_predictions([["Barack", "Obama", "visited", "Paris", "with", "the", "French", "team"]])[0]
    assert tags[:2] == ["B-PER", "I-PER"] and tags[3] == "B-LOC" and tags[6] == "B-MISC"


def test_seqeval_wrapper_on_a_known_case():
    from training.ner import seqeval_scores

    refs = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    preds = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O"]]  # 2 of 3 entities right, 2 of 3 predicted right
    scores = seqeval_scores(refs, preds)
    assert scores["precision"] == pytest.approx(2 / 3) and scores["recall"] == pytest.approx(2 / 3)
    assert scores["accuracy"] == pytest.approx(5 / 6) and scores["per_type"]["PER"] == 1.0


@pytest.mark.usefixtures("few_smoke_steps")
def test_smoke_training_writes_a_loadable_tagger(tmp_path):
    import json

    from training import ner as training_ner

    out = tmp_path / "ckpt"
    metrics = training_ner.main(["--smoke", "--output-dir", str(out)])
    before, after = metrics["smoke_losses"]
    assert after <= 0.5 * before
    assert (out / "model.safetensors").is_file() and (out / "metrics.json").is_file()  # full fine-tune by default
    assert metrics["preflight"]["label_counts"][0] > 0  # the ch8 preflight ran on the token labels
    result = ner.predict("Barack Obama visited Paris.", model=str(out)).value
    assert result["text"] == "Barack Obama visited Paris." and isinstance(result["entities"], list)
    # where it and its silver labels disagree, drawn for a hand audit, which the card then counts
    training_ner.main(["--smoke", "--draw-disagreements", "3", "--output-dir", str(out)])
    drawn = json.loads((out / "disagreements.json").read_text())
    assert 0 < len(drawn["sentences"]) == min(3, drawn["disagreeing"]) <= drawn["test_sentences"]
    assert all(row["right"] == "" and (row["spacy"] or row["model"]) for row in drawn["sentences"])
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps(drawn))
    with pytest.raises(SystemExit, match="needs 'right'"):  # not judged yet
        training_ner.audit_summary(str(audit))
    for row, verdict in zip(drawn["sentences"], ["model", "spacy", "neither"]):
        row["right"] = verdict
    audit.write_text(json.dumps(drawn))
    summary = training_ner.audit_summary(str(audit))
    assert summary["judged"] == len(drawn["sentences"]) == summary["model"] + summary["spacy"] + summary["neither"]


# ------------------------------------------------------------------ the committed checkpoint

def test_the_hand_audit_of_silver_disagreements_is_complete_and_on_the_card(monkeypatch):
    from training import common
    from training.ner import audit_summary

    monkeypatch.chdir(REPO)  # the card names the file from the repository's root
    summary = audit_summary("shared/data/ner_silver_audit.json")
    assert summary["judged"] == 40 == summary["model"] + summary["spacy"] + summary["neither"]
    assert common.read_metrics(REPO / "checkpoints" / "ner")["silver_audit"] == summary
    card = (REPO / "checkpoints" / "ner" / "README.md").read_text()
    assert f"this model's entities right in {summary['model']}, spaCy's in {summary['spacy']}" in card


def test_obvious_sentence():
    out = ner.predict("Barack Obama flew to Paris to meet the board of Microsoft.")
    found = {(e["word"], e["entity_group"]) for e in out.value["entities"]}
    assert {("Barack Obama", "PER"), ("Paris", "LOC"), ("Microsoft", "ORG")} <= found
    for e in out.value["entities"]:
        assert out.value["text"][e["start"]:e["end"]] == e["word"] and 0.3 < e["score"] <= 1.0
    assert out.notices == []


def test_long_text_is_read_in_windows():
    filler = "The committee met again and talked about the weather for a long while. " * 60
    text = filler + "Then Angela Merkel arrived in Berlin."
    out = ner.predict(text)
    assert any(e["word"] == "Berlin" and e["entity_group"] == "LOC" for e in out.value["entities"])
    assert out.notices and "windows" in out.notices[0]


def test_bad_input():
    with pytest.raises(InputError, match="empty"):
        ner.predict("  ")
    with pytest.raises(InputError, match="at most 20,000"):
        ner.predict("x " * 20_000)


def test_a_batch_tags_as_single_calls_and_a_bad_text_spares_the_others(fp32):
    long = "The committee met again and talked about the weather for a long while. " * 60 + "Then Merkel left Berlin."
    texts = ["Barack Obama flew to Paris.", "", long, "my sister flew from seattle to tokyo", 42]
    obama, blank, windows, lower, number = ner.predict_batch(texts)
    for batched, text in ((obama, texts[0]), (windows, texts[2]), (lower, texts[3])):
        alone = ner.predict(text)  # padded beside longer texts or not: the same entities, scores and notices
        assert [(e["word"], e["entity_group"], e["start"]) for e in batched.value["entities"]] == \
            [(e["word"], e["entity_group"], e["start"]) for e in alone.value["entities"]]
        assert [e["score"] for e in batched.value["entities"]] == \
            pytest.approx([e["score"] for e in alone.value["entities"]], abs=1e-4)
        assert batched.notices == alone.notices
    assert "windows" in windows.notices[0] and any(e["word"] == "Berlin" for e in windows.value["entities"])
    assert "empty" in blank.error and "Expected text" in number.error


@pytest.mark.parametrize("space_client", ["ner"], indirect=True)
def test_space_round_trip(space_client):
    highlighted, table, notice = space_client.predict("Angela Merkel visited Google in London.", api_name="/predict")
    kinds = {row[0]: row[1] for row in table["data"]}
    assert kinds.get("Angela Merkel") == "PER" and kinds.get("London") == "LOC" and notice == ""
    assert any(item.get("class_or_confidence") == "PER" or item.get("entity") == "PER"
               for item in (highlighted if isinstance(highlighted, list) else highlighted.get("value", [])))


def test_tags_are_decoded_as_the_most_probable_valid_iob2_sequence():
    labels = ner.LABELS
    probs = np.full((4, len(labels)), 0.01)

    def word(i, **p):
        for tag, value in p.items():
            probs[i, labels.index(tag.replace("_", "-"))] = value

    word(0, I_PER=0.5, B_PER=0.4)  # argmax opens an entity with I-
    word(1, I_ORG=0.45, I_PER=0.4)  # and continues a PER with I-ORG
    word(2, O=0.9)
    word(3, B_LOC=0.8)
    assert [labels[i] for i in probs.argmax(1)] == ["I-PER", "I-ORG", "O", "B-LOC"]
    assert [labels[i] for i in ner.iob2_path(probs, labels)] == ["B-PER", "I-PER", "O", "B-LOC"]
    valid = probs.copy()
    valid[0, labels.index("B-PER")] = 0.9  # when argmax is valid IOB2 already, the path is argmax
    valid[1, labels.index("I-PER")] = 0.9
    assert ner.iob2_path(valid, labels) == list(valid.argmax(1))
    assert ner.iob2_path(np.zeros((0, len(labels))), labels) == []
