"""Whisper between CTranslate2 and transformers (`shared.whisper_ct2`), the ASR adapter's training and serving: the
packaged model.bin is rewritten byte for byte, CTranslate2's own converter and `to_transformers` are inverses, the
converted tiny.en encodes as faster-whisper does, an adapter added into model.bin equals peft's merge, and
`training.asr --smoke` overfits one batch of espeak-ng speech on a tiny random Whisper."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from shared import hub, whisper_ct2
from shared.tasks import asr

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (apt)")
TINY_EN = Path(hub.base_model_path(hub.WHISPER_TINY_EN))


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory) -> tuple[Path, Path]:
    """(transformers folder, CTranslate2 folder) of a random Whisper with tiny.en's vocabulary, d_model 64. Its
    token embeddings (tied to the output layer) are drawn wide, std 1: at the usual 0.02 the logits of a normalised
    hidden state stay near uniform, and no LoRA on the layers below could overfit a batch."""
    import ctranslate2
    from transformers import (WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration,
                              WhisperProcessor, WhisperTokenizerFast)

    root = tmp_path_factory.mktemp("tiny-whisper")
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(TINY_EN / "tokenizer.json"))
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = WhisperConfig(vocab_size=len(tokenizer), d_model=64, encoder_layers=2, decoder_layers=2,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                           decoder_ffn_dim=64, max_target_positions=448, eos_token_id=end, pad_token_id=end,
                           bos_token_id=end, decoder_start_token_id=end + 1)
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config)
    torch.nn.init.normal_(model.model.decoder.embed_tokens.weight, std=1.0)
    model.save_pretrained(root / "hf")
    WhisperProcessor(WhisperFeatureExtractor(), tokenizer).save_pretrained(root / "hf")
    converter = ctranslate2.converters.TransformersConverter(str(root / "hf"), copy_files=["tokenizer.json"])
    return root / "hf", Path(converter.convert(str(root / "ct2")))


def test_model_bin_is_rewritten_byte_for_byte(tmp_path):
    header, variables, aliases = whisper_ct2.read_model_bin(TINY_EN / "model.bin")
    assert header["name"] == "WhisperSpec" and aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    whisper_ct2.write_model_bin(tmp_path / "model.bin", header, variables, aliases)
    assert (tmp_path / "model.bin").read_bytes() == (TINY_EN / "model.bin").read_bytes()


def test_to_transformers_inverts_ctranslate2s_converter(tiny_whisper):
    from transformers import WhisperForConditionalGeneration

    hf, ct2 = tiny_whisper
    ours = whisper_ct2.to_transformers(ct2).state_dict()  # a random model: equal values are stored once (aliases)
    theirs = WhisperForConditionalGeneration.from_pretrained(hf).state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_converted_tiny_en_encodes_as_faster_whisper_does():
    import ctranslate2

    mel = np.random.default_rng(0).normal(0, 1, (1, 80, 3000)).astype(np.float32)
    theirs = ctranslate2.models.Whisper(str(TINY_EN), device="cpu", compute_type="float32").encode(
        ctranslate2.StorageView.from_array(mel))
    with torch.no_grad():
        ours = whisper_ct2.to_transformers(TINY_EN).model.encoder(torch.from_numpy(mel)).last_hidden_state
    assert np.abs(np.asarray(theirs) - ours.numpy()).max() < 1e-3


def random_adapter(ct2: Path, folder: Path):
    """A LoRA adapter of training.asr's shape on `ct2`'s Whisper, its B matrices random (peft starts them at 0),
    saved as training.asr saves it; returns the peft model."""
    from training.asr import save_adapter, with_lora

    model = with_lora(ct2, rank=4)
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
    save_adapter(model, folder)
    return model


def test_an_adapter_added_into_model_bin_equals_peft_merge(tiny_whisper, tmp_path):
    from peft import PeftModel

    _, ct2 = tiny_whisper
    random_adapter(ct2, tmp_path / "adapter")
    added = whisper_ct2.to_transformers(whisper_ct2.add_lora(ct2, tmp_path / "adapter", tmp_path / "out"))
    merged = PeftModel.from_pretrained(whisper_ct2.to_transformers(ct2), tmp_path / "adapter").merge_and_unload()
    ours, theirs, before = added.state_dict(), merged.state_dict(), whisper_ct2.to_transformers(ct2).state_dict()
    assert ours.keys() == theirs.keys()
    changed = [k for k in ours if not torch.equal(theirs[k], before[k])]
    assert any(".self_attn.k_proj." in k for k in changed) and any(".encoder_attn.v_proj." in k for k in changed)
    assert all(torch.allclose(ours[k], theirs[k], atol=1e-6) for k in ours)  # every q/k/v slice in its place
    assert (tmp_path / "out" / "tokenizer.json").is_file()


def test_an_adapter_folder_is_served_on_its_base(tiny_whisper, tmp_path, monkeypatch):
    """asr.load() takes an adapter folder: it is added once into a copy of the base it names (here a folder),
    which faster-whisper runs."""
    _, ct2 = tiny_whisper
    random_adapter(ct2, tmp_path / "adapter")
    monkeypatch.setattr(hub, "CONVERTED_DIR", tmp_path / "converted")
    kind, model = asr.load(tmp_path / "adapter")
    assert kind == "faster-whisper"
    made = asr.with_adapter(ct2, tmp_path / "adapter")
    assert made.parent == tmp_path / "converted" and (made / "model.bin").is_file()
    _, variables, _ = whisper_ct2.read_model_bin(made / "model.bin")
    _, original, _ = whisper_ct2.read_model_bin(ct2 / "model.bin")
    assert not np.array_equal(variables["encoder/layer_0/ffn/linear_0/weight"],
                              original["encoder/layer_0/ffn/linear_0/weight"])


def test_an_adapter_names_its_base_so_it_can_be_found_again(tiny_whisper, tmp_path):
    """A folder base is named by its path, the packaged tiny.en by its Hub id; a base the Space cannot add to is
    refused with a message, not a stack trace."""
    import json

    _, ct2 = tiny_whisper
    random_adapter(ct2, tmp_path / "adapter")
    assert json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())["base_model_name_or_path"] \
        == str(ct2.resolve())
    assert asr.adapter_base(tmp_path / "adapter") == ct2.resolve()
    assert asr.base_name(hub.base_model_path(hub.WHISPER_TINY_EN)) == "openai/whisper-tiny.en"
    config = json.loads((hub.CHECKPOINTS_DIR / "asr" / "adapter_config.json").read_text())
    assert asr.adapter_base(hub.CHECKPOINTS_DIR / "asr") == Path(hub.base_model_path(hub.WHISPER_TINY_EN))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "adapter_config.json").write_text(json.dumps(config | {"base_model_name_or_path": "x/y"}))
    with pytest.raises(hub.CheckpointNotFound, match="adapter for x/y"):
        asr.adapter_base(tmp_path / "other")


@needs_espeak
def test_the_english_default_is_the_projects_adapter_and_reads_a_voice_plain_tiny_en_garbles(monkeypatch):
    """The English default is checkpoints/asr (tiny.en + the adapter at half strength), served through the Space's
    code path: an espeak-ng test voice (none of its training voices) reading a Harvard sentence (none of its
    training sentences). Without that folder and offline, plain tiny.en."""
    from shared.data import speech
    from shared.metrics.speech import wer

    monkeypatch.delenv("ASR_MODEL", raising=False)
    assert asr.default_model("en") == str(hub.CHECKPOINTS_DIR / "asr")
    texts = speech.SENTENCES[:10] * 2
    clips = [(16_000, speech.at_rate(speech.speak(text, voice, 180), 16_000))
             for voice in ("en-us", "en-gb") for text in speech.SENTENCES[:10]]
    tuned = [asr.predict(clip).value for clip in clips]
    plain = [asr.predict(clip, model=hub.base_model_path(hub.WHISPER_TINY_EN)).value for clip in clips]
    assert wer(texts, tuned) <= 0.15 and wer(texts, tuned) < wer(texts, plain) / 2, (tuned, plain)
    monkeypatch.setattr(hub, "CHECKPOINTS_DIR", Path("/nowhere"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert asr.default_model("en") == hub.base_model_path(hub.WHISPER_TINY_EN)


@needs_espeak
def test_training_smoke_overfits_one_batch(tiny_whisper, tmp_path):
    from training import asr as training_asr

    _, ct2 = tiny_whisper
    metrics = training_asr.main(["--smoke", "--model", str(ct2), "--output-dir", str(tmp_path / "run")])
    before, after = metrics["results"][0]["baseline_value"], metrics["results"][0]["value"]
    assert after < 0.5 * before
    assert {"adapter_config.json", "adapter_model.safetensors", "README.md", "metrics.json"} <= {
        p.name for p in (tmp_path / "run").iterdir()}


def test_push_uploads_the_ready_ctranslate2_model_beside_the_adapter(tiny_whisper, tmp_path, monkeypatch):
    """--push-to-hub on an ASR checkpoint uploads what faster-whisper loads by the repo id (asr.export)."""
    from training import common

    _, ct2 = tiny_whisper
    random_adapter(ct2, tmp_path / "adapter")
    (tmp_path / "adapter" / "metrics.json").write_text("{}")
    monkeypatch.setattr(hub, "CONVERTED_DIR", tmp_path / "converted")
    uploaded = {}

    def push_folder(folder, repo_id):
        uploaded[repo_id] = {p.name: p.read_bytes() for p in Path(folder).iterdir()}
        return f"https://huggingface.co/{repo_id}"

    monkeypatch.setattr(hub, "push_folder", push_folder)
    assert common.push(tmp_path / "adapter", "me/whisper", "asr") == "https://huggingface.co/me/whisper"
    files = uploaded["me/whisper"]
    assert {"model.bin", "config.json", "tokenizer.json", "adapter_config.json", "metrics.json"} <= files.keys()
    assert files["model.bin"] == (asr.with_adapter(ct2, tmp_path / "adapter") / "model.bin").read_bytes()
    assert files["model.bin"] != (ct2 / "model.bin").read_bytes()
