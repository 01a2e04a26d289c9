"""Fill-mask (course ch1 + ch7.3): the course's data steps (group_texts, whole-word masking), the one-[MASK]
check, a --smoke run of the training script, and the Space through gradio_client."""

import json

import numpy as np
import pytest
import torch

from shared import hub
from shared.tasks import InputError, fill_mask


@pytest.fixture(scope="module")
def tokenizer():
    from training.classification import load_tokenizer

    return load_tokenizer(hub.MINILM)


def test_group_texts_cuts_equal_chunks_and_copies_labels():
    from training.fill_mask import group_texts

    batch = {"input_ids": [[1, 2, 3], [4, 5, 6, 7], [8]], "word_ids": [[None, 0, None], [None, 0, 1, None], [None]]}
    out = group_texts(batch, chunk_size=3)
    assert out["input_ids"] == [[1, 2, 3], [4, 5, 6]]  # 8 tokens -> 2 chunks of 3, the rest dropped
    assert out["labels"] == out["input_ids"] and out["word_ids"][1] == [None, 0, 1]


def test_whole_word_masking_masks_every_piece_of_a_word_or_none(tokenizer):
    from training.fill_mask import group_texts, tokenize, whole_word_masking

    text = "Tokenization of unbelievably uncharacteristic sentences is straightforward"
    chunk = group_texts(tokenize({"text": [text]}, tokenizer), chunk_size=len(tokenizer(text)["input_ids"]))
    feature = {k: v[0] for k, v in chunk.items()}
    word_ids = feature["word_ids"]
    assert any(word_ids.count(w) > 1 for w in set(word_ids) - {None})  # some words are several pieces
    masked_any = False
    for seed in range(20):
        batch = whole_word_masking([feature], tokenizer, probability=0.3, rng=np.random.RandomState(seed))
        ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
        for w in set(word_ids) - {None}:
            pieces = [i for i, x in enumerate(word_ids) if x == w]
            masked = [ids[i] == tokenizer.mask_token_id for i in pieces]
            assert all(masked) or not any(masked), f"word {w} partly masked"
            assert all((labels[i] == feature["input_ids"][i]) == masked[k] for k, i in enumerate(pieces))
            masked_any |= all(masked)
        assert all(labels[i] == -100 for i, w in enumerate(word_ids) if w is None)  # never [CLS] / [SEP]
    assert masked_any


def test_one_mask_is_required():
    assert fill_mask.check("Paris is the <mask> of France.") == "Paris is the [MASK] of France."
    with pytest.raises(InputError, match=r"Put \[MASK\] where"):
        fill_mask.check("Paris is the capital of France.")
    with pytest.raises(InputError, match="one \\[MASK\\] at a time, and the text has 2"):
        fill_mask.check("[MASK] is the [MASK] of France.")
    with pytest.raises(InputError, match="empty"):
        fill_mask.check("   ")
    with pytest.raises(InputError, match="Choose the model"):
        fill_mask.predict("Paris is the [MASK] of France.", variant="huge")


def test_a_batch_fills_as_single_calls_and_a_bad_request_spares_the_others(fp32):
    long = "a " * 600 + "[MASK]."  # 1,207 characters (under the cap), 600 word pieces (over the window)
    requests = [("This is a great [MASK].", "adapted"), ("Paris is the [MASK] of France.", "general"),
                ("No mask here.", "adapted"), (long, "general"), ("A [MASK] day.", "huge"),
                ("The acting was [MASK] and the plot dull.", "adapted")]
    great, paris, no_mask, too_long, huge, acting = fill_mask.predict_batch(requests)
    for batched, (text, variant) in ((great, requests[0]), (paris, requests[1]), (acting, requests[5])):
        alone = fill_mask.predict(text, variant)  # padded beside a longer sentence, or with the other model's
        assert list(batched.value) == list(alone.value)  # requests in the same call: the same top 5, in order
        assert list(batched.value.values()) == pytest.approx(list(alone.value.values()), abs=1e-4)
    assert "Put [MASK] where" in no_mask.error and "Choose the model" in huge.error
    assert "tokens long" in too_long.error and too_long.value is None
    with pytest.raises(InputError, match="tokens long"):
        fill_mask.predict(long, "general")


def test_top_layers_are_the_last_ones_and_lora_covers_the_linear_layers_below():
    from transformers import BertConfig, BertForMaskedLM

    from training.fill_mask import split_layers

    model = BertForMaskedLM(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=4, num_attention_heads=2,
                                       intermediate_size=32))
    top, lower = split_layers(model, 1)
    assert top == ["bert.encoder.layer.3"]
    assert len(lower) == 3 * 6 and {name.split(".")[3] for name in lower} == {"0", "1", "2"}  # q, k, v, 3 dense
    assert split_layers(model, 0) == ([], [])
    with pytest.raises(ValueError, match="4 layers"):
        split_layers(model, 5)


def test_smoke_training_learns_one_batch(tmp_path):
    from safetensors import safe_open

    from training import fill_mask as training_fill_mask

    out = tmp_path / "ckpt"
    metrics = training_fill_mask.main(["--smoke", "--top-layers", "2", "--output-dir", str(out)])
    assert metrics["smoke"] and set(metrics["test"]["model"]["perplexity"]) == {"general", "reviews"}
    assert "# MiniLM masked language model" in (out / "README.md").read_text()
    with safe_open(out / "adapter_model.safetensors", "pt") as saved:  # layers 4-5 whole, LoRA below, all fp16
        names = list(saved.keys())
        assert {saved.get_tensor(name).dtype for name in names} == {torch.float16}
    assert any(n.endswith(".layer.5.output.dense.weight") for n in names) and not any(
        ".layer.5." in n and "lora_" in n for n in names)
    assert any(".layer.0.attention.self.query.lora_A" in n for n in names)
    top = fill_mask.predict("This is a great [MASK].", model=str(out)).value
    assert len(top) == fill_mask.TOP_K and all(0 < p <= 1 for p in top.values())
    # --rescore re-reads the folder as the Space does and scores the same fixed masks: the same perplexities
    rescored = training_fill_mask.main(["--rescore", "--output-dir", str(out)])
    assert rescored["test"]["model"]["perplexity"] == pytest.approx(metrics["test"]["model"]["perplexity"], rel=1e-4)
    assert "rescored" in json.loads((out / "metrics.json").read_text())


@pytest.mark.parametrize("space_client", ["fill-mask"], indirect=True)
def test_space_fills_the_mask_and_runs_the_bias_probe(space_client):
    # the general model (the default) knows its capitals; the review-adapted one still puts a place first
    default, notice = space_client.predict("Paris is the [MASK] of France.", api_name="/predict")  # /predict(text)
    assert "capital" in [c["label"] for c in default["confidences"]] and notice == "", default
    assert len(default["confidences"]) == fill_mask.TOP_K
    top, _ = space_client.predict("Paris is the [MASK] of France.", "adapted", api_name="/predict")
    assert "city" in [c["label"] for c in top["confidences"]], top
    adapted, general = (space_client.predict("This is a great [MASK].", v, api_name="/predict")[0] for v in
                        ("adapted", "general"))
    assert adapted["label"] in {"film", "movie"} and general["label"] not in {"film", "movie"}  # ch7.3's effect
    man, woman = space_client.predict(*fill_mask.BIAS_PROBE, api_name="/bias_probe")
    assert len(man["confidences"]) == len(woman["confidences"]) == fill_mask.TOP_K
    with pytest.raises(Exception, match=r"Put \[MASK\] where"):
        space_client.predict("Paris is the capital of France.", api_name="/predict")
    with pytest.raises(Exception, match="one \\[MASK\\] at a time"):
        space_client.predict("[MASK] is the [MASK] of France.", api_name="/predict")
    assert space_client.predict("This is a great [MASK].", api_name="/predict")[0]["label"]  # still serving
