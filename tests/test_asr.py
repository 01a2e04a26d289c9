"""Speech recognition and the speech -> sentiment chain: espeak-ng speech at several sample rates and channel
counts is transcribed, resampling keeps the pitch, silence and bad files get a sentence, the pipeline route runs
offline on a tiny random Whisper, and both Spaces answer through gradio_client."""

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from shared.metrics.speech import normalize, wer
from shared.tasks import InputError, asr

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (apt)")
SENTENCE = "Open the file and save your work before you close the window."


def speak(tmp_path, text: str, rate: int, channels: int = 1, voice: str = "en-us", speed: int = 150):
    """espeak-ng's speech of `text`, resampled to `rate` Hz with `channels` channels, as 16-bit WAV."""
    raw = tmp_path / "raw.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    data, sr = sf.read(raw, dtype="float32")
    data = asr.resample(data, sr, rate)
    if channels == 2:
        data = np.stack([data, 0.5 * data], axis=1)
    path = tmp_path / f"speech-{rate}-{channels}.wav"
    sf.write(path, data, rate, subtype="PCM_16")
    return path


@needs_espeak
@pytest.mark.parametrize("rate, channels", [(8_000, 1), (16_000, 1), (44_100, 2)])
def test_espeak_speech_is_transcribed_at_any_rate(tmp_path, rate, channels):
    text = asr.predict(speak(tmp_path, SENTENCE, rate, channels)).value
    assert wer([SENTENCE], [text]) <= 0.25, text
    assert {"file", "save", "window"} <= set(normalize(text)), text


@needs_espeak
def test_french_goes_to_the_multilingual_model_and_is_detected(tmp_path):
    raw = tmp_path / "fr.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-s", "140", "-w", str(raw),
                    "Bonjour, je voudrais ouvrir le fichier."], check=True)
    chosen = asr.predict(raw, "French")
    assert {"bonjour", "fichier"} <= set(normalize(chosen.value)), chosen.value
    detected = asr.predict(raw, "Detect automatically")
    assert detected.notices and "French" in detected.notices[0]
    assert asr.load(language="fr") is not asr.load(language="en")  # base for French, tiny.en for English


def test_an_unknown_language_is_refused_before_any_work():
    with pytest.raises(InputError, match="Pick a language"):
        asr.predict(None, "Klingon")  # the language is checked first: no audio error


def test_resampling_keeps_the_pitch():
    sr = 44_100
    tone = np.sin(2 * np.pi * 440 * np.arange(sr) / sr).astype(np.float32)
    out = asr.resample(tone, sr)
    assert out.shape == (asr.SAMPLE_RATE,) and out.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * asr.SAMPLE_RATE / out.size - 440) <= 1


def test_stereo_is_downmixed():
    sr = 16_000
    left = np.sin(np.arange(sr) / 3).astype(np.float32)
    out = asr.check((sr, np.stack([left, -left], axis=1)))  # opposite channels cancel out
    assert out.ndim == 1 and np.abs(out).max() < 1e-3


def test_no_speech_gets_a_sentence():
    noise = np.random.default_rng(0).normal(0, 0.003, 16_000 * 3).astype(np.float32)  # a quiet room
    with pytest.raises(InputError, match="No speech found"):
        asr.predict((16_000, noise))
    with pytest.raises(InputError, match="silent"):
        asr.predict((16_000, np.zeros(16_000, dtype=np.int16)))


def test_over_the_limit_is_refused_from_the_header(tmp_path):
    path = tmp_path / "long.flac"
    sf.write(path, np.zeros((asr.MAX_AUDIO_SECONDS + 5) * 8_000, dtype=np.int16), 8_000)
    with pytest.raises(InputError, match=f"at most {asr.MAX_AUDIO_SECONDS} s"):
        asr.predict(path)


def test_wer_counts_substitutions_deletions_and_insertions():
    assert wer(["the cat sat"], ["the cat sat"]) == 0
    assert wer(["the cat sat"], ["The cat, sat."]) == 0  # case and punctuation are not errors
    assert wer(["ten of clubs"], ["10 of clubs"]) == 0  # nor digits for number words
    assert wer(["the cat sat on the mat"], ["the hat sat on mat today"]) == pytest.approx(3 / 6)


def test_a_transformers_whisper_runs_through_the_pipeline(tmp_path):
    """Online users may name any Whisper on the Hub: that route, offline, on a tiny random model."""
    from transformers import (WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration,
                              WhisperProcessor, WhisperTokenizerFast)

    from shared import hub

    tokenizer = WhisperTokenizerFast(tokenizer_file=f"{hub.base_model_path(hub.WHISPER_TINY_EN)}/tokenizer.json")
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = WhisperConfig(vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                           decoder_ffn_dim=32, max_target_positions=448, eos_token_id=end, pad_token_id=end,
                           decoder_start_token_id=tokenizer.convert_tokens_to_ids("<|startoftranscript|>"))
    WhisperForConditionalGeneration(config).save_pretrained(tmp_path)
    WhisperProcessor(WhisperFeatureExtractor(), tokenizer).save_pretrained(tmp_path)
    kind, _ = asr.load(tmp_path)
    assert kind == "pipeline"
    tone = (0.3 * np.sin(np.arange(16_000) / 5)).astype(np.float32)
    try:
        assert isinstance(asr.predict((16_000, tone), model=tmp_path).value, str)
    except InputError as e:  # a random model may well say nothing: then the user is told so
        assert "No speech found" in str(e)


@needs_espeak
@pytest.mark.parametrize("space_client", ["asr"], indirect=True)
def test_asr_space_streams_a_transcript(space_client, tmp_path):
    path = speak(tmp_path, SENTENCE + " Then turn off the light and lock the door.", 22_050)
    job = space_client.submit(handle_file(str(path)), "English", api_name="/predict")
    final = job.result()
    assert {"file", "window", "door"} <= set(normalize(final)), final
    with pytest.raises(AppError, match="No speech found"):
        quiet = np.random.default_rng(1).normal(0, 0.003, 16_000 * 2)
        sf.write(tmp_path / "quiet.wav", quiet, 16_000)
        space_client.predict(handle_file(str(tmp_path / "quiet.wav")), "English", api_name="/predict")


@needs_espeak
@pytest.mark.parametrize("space_client", ["multi-step"], indirect=True)
def test_multi_step_transcribes_then_classifies(space_client, tmp_path):
    path = speak(tmp_path, "What a wonderful, beautiful and moving film. I loved every minute of it.", 16_000)
    text = space_client.predict(handle_file(str(path)), api_name="/predict")
    assert {"wonderful", "film", "minute"} <= set(normalize(text)), text
    label = space_client.predict(text, api_name="/sentiment")
    assert label["label"] == "positive"
    assert space_client.predict("A dull, lifeless mess.", api_name="/sentiment")["label"] == "negative"
