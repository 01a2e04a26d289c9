"""Each model-free Space, started in-process and called through gradio_client as a user's script would."""

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from scipy.io import wavfile

from shared.tasks.basics import NOTES


def text_of(message: dict) -> str:
    """A Chatbot message's text (gradio 6 sends content as a list of typed parts)."""
    content = message["content"]
    return content if isinstance(content, str) else "".join(p["text"] for p in content if p["type"] == "text")


def params(space):
    return pytest.mark.parametrize("space_client", [space], indirect=True)


@params("hello-world")
def test_hello_world(space_client):
    assert space_client.predict("Ada", 3, api_name="/predict") == "Hello, Ada!!!"
    with pytest.raises(AppError, match="Please type some name"):
        space_client.predict("", 3, api_name="/predict")


@params("flip")
def test_flip_text_and_image(space_client, tmp_path):
    text = "Gradio Blocks, flipped ✓"
    assert space_client.predict(text, api_name="/predict") == text[::-1]

    rgb = np.random.default_rng(1).integers(0, 255, (12, 20, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "in.png")
    out = space_client.predict(handle_file(str(tmp_path / "in.png")), api_name="/flip_image")
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), rgb[:, ::-1])

    deep = np.tile(np.array([0, 32896, 65535], dtype=np.uint16), (4, 1))  # a 16-bit grey PNG: scaled to 8 bits
    Image.fromarray(deep, mode="I;16").save(tmp_path / "deep.png")
    out = space_client.predict(handle_file(str(tmp_path / "deep.png")), api_name="/flip_image")
    assert np.asarray(Image.open(out).convert("L"))[0].tolist() == [255, 128, 0]
    with pytest.raises(AppError, match="Please type"):
        space_client.predict("   ", api_name="/predict")


@params("reverse-audio")
def test_reverse_audio_returns_the_samples_back_to_front(space_client, tmp_path):
    sr = 16_000
    samples = (np.random.default_rng(2).standard_normal(sr // 2) * 8000).astype(np.int16)
    wavfile.write(tmp_path / "clip.wav", sr, samples)
    out_sr, out = wavfile.read(space_client.predict(handle_file(str(tmp_path / "clip.wav")), api_name="/predict"))
    assert out_sr == sr
    assert np.array_equal(out, samples[::-1])

    wavfile.write(tmp_path / "silence.wav", sr, np.zeros(sr, dtype=np.int16))
    with pytest.raises(AppError, match="silent"):
        space_client.predict(handle_file(str(tmp_path / "silence.wav")), api_name="/predict")
    with pytest.raises(AppError, match="record or upload"):
        space_client.predict(None, api_name="/predict")


@params("generate-tone")
@pytest.mark.parametrize(("note", "octave", "seconds", "hz"), [("A", 4, 1.0, 440.0), ("C", 5, 0.5, 523.25)])
def test_generate_tone_has_the_requested_length_and_pitch(space_client, note, octave, seconds, hz):
    sr, wave = wavfile.read(space_client.predict(note, octave, seconds, api_name="/predict"))
    assert len(wave) == round(seconds * sr)
    peak_hz = np.argmax(np.abs(np.fft.rfft(wave.astype(float)))) * sr / len(wave)
    assert peak_hz == pytest.approx(hz, abs=2.5)
    assert note in NOTES


@params("update-component")
def test_radio_changes_the_textbox(space_client):
    long = space_client.predict("long", api_name="/predict")
    assert long["lines"] == 8 and long["visible"] is True
    assert space_client.predict("short", api_name="/predict")["lines"] == 2
    assert space_client.predict("none", api_name="/predict")["visible"] is False


@params("chat-state")
def test_state_keeps_the_conversation(space_client):
    history, cleared = space_client.predict("How are you?", api_name="/predict")
    assert cleared == ""
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert text_of(history[1]) in ["Great", "Good", "Okay", "Bad"]
    history, _ = space_client.predict("Where is my cat?", api_name="/predict")
    assert len(history) == 4, "the session's gr.State should carry the first turn"
    assert text_of(history[2]) == "Where is my cat?"
    with pytest.raises(AppError, match="Please type some message"):
        space_client.predict("", api_name="/predict")
