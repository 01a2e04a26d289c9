"""Every Space held to the task contract, through the suite: for each public endpoint of each demo in the catalog
(a new Space is covered by being listed), bad input sent over raw HTTP and through gradio_client gets the app's
own message (never Gradio's generic `"error": null`) within 2 s, and the next normal request (its sliders at
their minimum) still succeeds.

The inputs are chosen by component type: text boxes get blanks, numbers, lists, megabytes of text, emoji and
nested entities and a lone surrogate; image inputs get non-images, an empty file, a decompression bomb, a
10,000 px image, CMYK and 16-bit files; audio inputs get NaNs, a non-audio file, MP3, OGG, 8 kHz stereo and an
hour of silence; every endpoint also gets too few inputs. The endpoints, their normal inputs and the raw HTTP
transport are benchmarks/endpoints.py's, which benchmarks/suite.py drives under load too.
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import pytest
import soundfile as sf
from conftest import load_app, serve
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from benchmarks.endpoints import Http, endpoints, sketchpad_value, takes_text
from shared import catalog

LIMIT_S = 2.0
GENERIC = "has not enabled verbose error reporting"  # gradio_client's words for "error": null


@dataclass
class Case:
    name: str
    value: object  # a text/number/list, or a Path for a file input
    must_fail: bool = True  # False: odd but valid input, where an answer is as good as a clear message


# ----------------------------------------------------------------------------------------- bad inputs

def text_cases() -> list[Case]:
    return [Case("empty", ""), Case("None", None), Case("whitespace", " \n\t "), Case("number", 42),
            Case("list", ["sports", "cooking"], must_fail=False),  # zero-shot labels may come as a list
            Case("1 MB", "a" * 1_000_000), Case("10 MB", "word " * 2_000_000),
            Case("1 MB of emoji", "😍" * 262_144), Case("512 KB of nested entities", "&" + "amp;" * 131_072),
            Case("lone surrogate", "fine text \ud800 here")]


def png_bomb(path: Path) -> Path:
    """A valid 1x1 PNG whose header claims 60,000 x 60,000 pixels (10.8 GB of RGB once decoded)."""
    Image.new("RGB", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = bytearray(data[12:29])  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", 60_000, 60_000)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def image_cases(folder: Path) -> list[Case]:
    (folder / "not-an-image.png").write_text("this is a text file, not a picture\n")
    (folder / "empty.png").write_bytes(b"")
    Image.new("L", (10_000, 8), 200).save(folder / "wide.png")
    Image.new("CMYK", (16, 12), (0, 128, 255, 0)).save(folder / "cmyk.jpg")
    Image.fromarray(np.full((12, 16), 40_000, dtype=np.uint16), mode="I;16").save(folder / "deep.png")
    return [Case("not an image", folder / "not-an-image.png"), Case("empty file", folder / "empty.png"),
            Case("decompression bomb", png_bomb(folder / "bomb.png")), Case("10,000 px", folder / "wide.png"),
            Case("CMYK", folder / "cmyk.jpg", must_fail=False), Case("16-bit", folder / "deep.png", must_fail=False)]


def audio_cases(folder: Path) -> list[Case]:
    rng = np.random.default_rng(0)
    tone = (0.3 * np.sin(np.arange(8_000) / 5)).astype(np.float32)
    nan = tone.copy()
    nan[100:200] = np.nan
    sf.write(folder / "nan.wav", nan, 8_000, subtype="FLOAT")
    (folder / "not-audio.wav").write_text("RIFF? no, just text\n")
    (folder / "empty.wav").write_bytes(b"")
    sf.write(folder / "clip.mp3", tone, 8_000)
    sf.write(folder / "clip.ogg", tone, 8_000)
    sf.write(folder / "stereo.wav", rng.uniform(-0.5, 0.5, (8_000, 2)).astype(np.float32), 8_000, subtype="PCM_16")
    sf.write(folder / "hour.flac", np.zeros(3600 * 8_000, dtype=np.int16), 8_000)  # compresses to ~1 MB
    return [Case("float WAV with NaNs", folder / "nan.wav"), Case("not audio", folder / "not-audio.wav"),
            Case("empty file", folder / "empty.wav"), Case("MP3", folder / "clip.mp3", must_fail=False),
            Case("OGG", folder / "clip.ogg", must_fail=False),
            Case("8 kHz stereo", folder / "stereo.wav", must_fail=False),
            Case("an hour of silence", folder / "hour.flac")]


# ----------------------------------------------------------------------------------------- the endpoints

SUITE = load_app("suite")
ENDPOINTS = endpoints(SUITE.demo)


def test_every_catalog_demo_has_an_endpoint_in_the_suite():
    assert {e.space for e in ENDPOINTS} == {d.space for d in catalog.DEMOS}


@pytest.fixture(scope="module")
def suite_client():
    with serve(SUITE.demo) as client:
        yield client


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract")
    return {"text": text_cases(), "image": image_cases(folder), "audio": audio_cases(folder), "folder": folder}


# ------------------------------------------------------------------------------------- two transports

def via_http(client, endpoint, values):
    return Http(client.src).call(endpoint.api_name, values)


def for_client(value):
    if isinstance(value, Path):
        return handle_file(str(value))
    if isinstance(value, dict):
        return {k: for_client(v) for k, v in value.items()}
    return value


def via_client(client, endpoint, values):
    args = [for_client(v) for v in values]
    try:
        return "complete", client.predict(*args, api_name=f"/{endpoint.api_name}")
    except AppError as e:
        return "error", str(e)


TRANSPORTS = {"http": via_http, "gradio_client": via_client}


def cheapest(endpoint, good: list) -> list:
    """`good` with every slider at its minimum (1 new token, vocabulary 300, k=1): the normal request sent after
    each bad one to show the Space still serves, at the least work its UI allows (the chatbot's 40 tokens after
    each of 20 bad inputs were a minute of this test)."""
    return [c.minimum if isinstance(c, gr.Slider) else v for c, v in zip(endpoint.components, good)]


def assert_clear_refusal(kind, message, seconds, case_name, must_fail=True):
    assert seconds < LIMIT_S, f"{case_name}: {seconds:.2f} s (limit {LIMIT_S} s)"
    if kind == "complete" and not must_fail:
        assert "['" not in json.dumps(message), f"{case_name}: a list was read as its str()"
        return
    assert kind == "error", f"{case_name}: accepted, got {str(message)[:200]}"
    assert isinstance(message, str) and message.strip(), f"{case_name}: Gradio's generic error (no message)"
    assert GENERIC not in message, f"{case_name}: Gradio's generic error"
    assert "Traceback" not in message and len(message) < 500, f"{case_name}: {message[:300]}"


def cases_for(component, files) -> list[Case]:
    if isinstance(component, gr.ImageEditor):  # the same bad images, as a drawing's composite, and no drawing
        return [Case(f"drawing: {c.name}", sketchpad_value(c.value), c.must_fail) for c in files["image"]] + [
            Case("nothing drawn", sketchpad_value(None)), Case("no composite, no layers", {"layers": []})]
    if isinstance(component, gr.Image):
        return files["image"]
    if isinstance(component, gr.Audio):
        return files["audio"]
    if takes_text(component):
        return files["text"]
    return []


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.api_name)
def test_bad_input_gets_a_clear_message_fast_and_the_space_keeps_serving(endpoint, transport, suite_client, files):
    send = TRANSPORTS[transport]
    good = endpoint.good(files["folder"])
    kind, answer = send(suite_client, endpoint, good)
    assert kind == "complete", f"/{endpoint.api_name} fails on a normal input: {answer}"
    cheap = cheapest(endpoint, good)
    tried = 0
    for i, component in enumerate(endpoint.components):
        for case in cases_for(component, files):
            if transport == "gradio_client" and isinstance(case.value, str) and "\ud800" in case.value:
                continue  # gradio_client cannot send it (its JSON encoder refuses); raw HTTP covers it
            values = list(good)
            values[i] = case.value
            start = time.perf_counter()
            kind, message = send(suite_client, endpoint, values)
            name = f"/{endpoint.api_name} input {i} ({type(component).__name__}): {case.name}"
            assert_clear_refusal(kind, message, time.perf_counter() - start, name, case.must_fail)
            tried += 1
            after, answer = send(suite_client, endpoint, cheap)
            assert after == "complete", f"after {name}, a normal request failed: {answer}"
    if endpoint.components:
        start = time.perf_counter()  # too few inputs (raw HTTP only: gradio_client checks the count itself)
        kind, message = via_http(suite_client, endpoint, good[:-1])
        assert_clear_refusal(kind, message, time.perf_counter() - start, f"/{endpoint.api_name}: too few inputs")
        assert f"takes {len(good)} input" in message
    assert tried or not any(cases_for(c, files) for c in endpoint.components)


def test_an_upload_over_the_cap_is_refused_with_a_sentence(suite_client, tmp_path):
    from shared import ui

    big = tmp_path / "big.wav"
    big.write_bytes(b"\0" * (int(ui.MAX_FILE_SIZE.removesuffix("mb")) * 1024 * 1024 + 1))
    with open(big, "rb") as f:
        r = httpx.post(suite_client.src.rstrip("/") + "/gradio_api/upload", files={"files": f}, timeout=30)
    assert r.status_code == 413 and "maximum allowed size" in r.text  # before the file reaches any function
    with pytest.raises(ValueError, match="exceeds the maximum file size"):  # gradio_client checks it first
        suite_client.predict(handle_file(str(big)), api_name="/reverse_audio")
