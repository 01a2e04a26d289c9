"""The ch9 functions themselves: behaviour and the messages users see on bad input."""

import random

import numpy as np
import pytest
from PIL import Image

from shared.tasks import basics


def test_greet_repeats_exclamation_marks():
    assert basics.greet("Ada", 3) == "Hello, Ada!!!"
    assert basics.greet("  Grace ", 1) == "Hello, Grace!"


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_empty_text_is_refused_with_a_sentence(bad):
    with pytest.raises(ValueError, match="Please type"):
        basics.flip_text(bad)


def test_huge_text_is_refused_with_its_size():
    with pytest.raises(ValueError, match="100,000 characters"):
        basics.flip_text("x" * 100_000)


def test_flip_text_handles_unicode():
    assert basics.flip_text("héllo wörld 👋") == "👋 dlröw olléh"


def test_flip_image_mirrors_arrays_and_files(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (5, 7, 3), dtype=np.uint8)
    assert np.array_equal(basics.flip_image(rgb), rgb[:, ::-1])
    palette = Image.fromarray(rgb).convert("P")
    palette.save(tmp_path / "p.png")
    flipped = basics.flip_image(str(tmp_path / "p.png"))
    assert flipped.shape == (5, 7, 3)
    assert np.array_equal(flipped, np.asarray(palette.convert("RGB"))[:, ::-1])


def test_flip_image_reads_odd_modes_and_refuses_non_images(tmp_path):
    Image.fromarray(np.array([[0, 65535, 1000]], dtype=np.uint16), mode="I;16").save(tmp_path / "deep.png")
    assert basics.flip_image(str(tmp_path / "deep.png")).tolist() == [[4, 255, 0]]  # 16 -> 8 bits, mirrored
    Image.new("CMYK", (3, 2), (255, 0, 0, 0)).save(tmp_path / "cmyk.jpg")
    assert basics.flip_image(str(tmp_path / "cmyk.jpg")).shape == (2, 3, 3)  # CMYK -> RGB
    Image.new("L", (basics.MAX_IMAGE_SIDE + 1, 2)).save(tmp_path / "wide.png")
    with pytest.raises(ValueError, match="4,097x2 pixels"):
        basics.flip_image(str(tmp_path / "wide.png"))
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ValueError, match="not an image"):
        basics.flip_image(str(tmp_path / "notes.png"))
    with pytest.raises(ValueError, match="upload an image"):
        basics.flip_image(None)


def test_reverse_audio_keeps_channels_and_refuses_silence():
    stereo = np.arange(20, dtype=np.int16).reshape(10, 2)
    sr, out = basics.reverse_audio((8000, stereo))
    assert sr == 8000 and np.array_equal(out, stereo[::-1])
    with pytest.raises(ValueError, match="silent"):
        basics.reverse_audio((8000, np.zeros(100, dtype=np.int16)))
    with pytest.raises(ValueError, match="record or upload"):
        basics.reverse_audio(None)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_audio_files_are_read_without_ffmpeg(fmt, tmp_path):
    import soundfile as sf

    tone = (0.4 * np.sin(np.arange(8_000) * 2 * np.pi * 440 / 8_000)).astype(np.float32)
    sf.write(tmp_path / f"tone.{fmt}", tone, 8_000)
    sr, out = basics.reverse_audio(str(tmp_path / f"tone.{fmt}"))
    assert sr == 8_000 and out.dtype == np.int16
    assert abs(len(out) - len(tone)) < 2_000  # MP3 pads with encoder delay
    peak_hz = np.argmax(np.abs(np.fft.rfft(out.astype(float)))) * sr / len(out)
    assert peak_hz == pytest.approx(440, abs=3)


def test_audio_refuses_nans_long_clips_and_non_audio(tmp_path):
    import soundfile as sf

    nan = np.full(800, 0.1, dtype=np.float32)
    nan[10] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 8_000, subtype="FLOAT")
    with pytest.raises(ValueError, match="not numbers"):
        basics.reverse_audio(str(tmp_path / "nan.wav"))
    sf.write(tmp_path / "long.flac", np.zeros(8_000 * (basics.MAX_AUDIO_SECONDS + 1), dtype=np.int16), 8_000)
    with pytest.raises(ValueError, match="61 s"):
        basics.reverse_audio(str(tmp_path / "long.flac"))
    (tmp_path / "text.wav").write_text("hello")
    with pytest.raises(ValueError, match="WAV, FLAC, OGG or MP3"):
        basics.reverse_audio(str(tmp_path / "text.wav"))


def test_note_frequencies_follow_equal_temperament():
    assert basics.note_frequency("A", 4) == pytest.approx(440.0)
    assert basics.note_frequency("A", 5) == pytest.approx(880.0)
    assert basics.note_frequency(0, 4) == pytest.approx(261.63, abs=0.01)  # middle C


def test_generate_tone_length_and_pitch():
    sr, wave = basics.generate_tone("A", 4, 0.5)
    assert sr == 48_000 and len(wave) == 24_000 and wave.dtype == np.int16
    peak_hz = np.argmax(np.abs(np.fft.rfft(wave))) * sr / len(wave)
    assert peak_hz == pytest.approx(440, abs=2)
    with pytest.raises(ValueError, match="duration"):
        basics.generate_tone("A", 4, 0)


def test_chat_reply_picks_from_the_right_answers():
    rng = random.Random(0)
    assert basics.chat_reply("How many cats?", rng) in basics.CHAT_ANSWERS["How many"]
    assert basics.chat_reply("How are you?", rng) in basics.CHAT_ANSWERS["How"]
    assert basics.chat_reply("Where is it?", rng) in basics.CHAT_ANSWERS["Where"]
    assert basics.chat_reply("Why?", rng) == "I don't know"
