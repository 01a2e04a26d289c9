"""Every public endpoint of the suite and a normal input for each, and Gradio's queue protocol over plain HTTP:
one place that the catalog-driven contract test (tests/test_contract.py) and the suite benchmark
(benchmarks/suite.py) both read.

A normal input is the catalog's example for a Space's `/predict` (when it has no file), else per component: its
own default value, a small real file (an image, a drawn digit, espeak-ng speech), or a short sentence.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
from gradio.components.api_component import Api
from PIL import Image

from shared import catalog

GOOD_TEXT = "A gorgeous, funny and moving film about football and food."
GOOD_SPEECH = "A short and happy test."


def takes_text(component) -> bool:
    """A text input: a Textbox, a Code box, or an API-only parameter typed str (`gr.api`)."""
    if isinstance(component, Api):
        return component.api_info().get("type") == "string"
    return isinstance(component, (gr.Textbox, gr.Code))


def sketchpad_value(image) -> dict:
    """A gr.Sketchpad value whose composite is `image` (what a client sends)."""
    return {"background": None, "layers": [], "composite": image}


def speech(path: Path, text: str = GOOD_SPEECH, voice: str = "en-us") -> Path:
    """`text` spoken by espeak-ng (apt) into the WAV file `path` (made once)."""
    if not path.is_file():
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    return path


def good_value(component, folder: Path):
    """A normal input for one component: its example/default value, or a small real file."""
    if isinstance(component, gr.ImageEditor):  # a digit drawn in black on white
        Image.fromarray(np.pad(np.full((40, 8), 0, np.uint8), 30, constant_values=255)).save(folder / "drawn.png")
        return sketchpad_value(folder / "drawn.png")
    if isinstance(component, gr.Image):
        Image.fromarray(np.arange(32 * 24, dtype=np.uint8).reshape(24, 32)).save(folder / "good.png")
        return folder / "good.png"
    if isinstance(component, gr.Audio):  # speech, so that speech recognition has words to find
        return speech(folder / "good.wav")
    if takes_text(component):  # its own default (e.g. a sentence with [MASK]) when it has one
        return getattr(component, "value", None) or GOOD_TEXT
    if isinstance(component, (gr.Dropdown, gr.Radio)):
        return component.choices[0][1]  # (display name, value)
    return component.value


@dataclass
class Endpoint:
    space: str
    api_name: str
    components: list  # its inputs as a client sends them (gr.State left out)

    def good(self, folder: Path) -> list:
        """A normal input for every component (files written into `folder`)."""
        d = catalog.get(self.space)
        if self.api_name == self.space.replace("-", "_") and d.example and not any(
                isinstance(a, catalog.File) for a in d.example):
            return list(d.example) + [good_value(c, folder) for c in self.components[len(d.example):]]
        values = [good_value(c, folder) for c in self.components]
        if self.space == "zero-shot":
            values[1] = "sports, cooking, politics"
        return values


def endpoints(demo: gr.Blocks) -> list[Endpoint]:
    """The public endpoints of the suite's `demo`, per catalog demo in tab order (`/<space>`, `/<space>_<name>`)."""
    found = []
    for d in catalog.DEMOS:
        prefix = d.space.replace("-", "_")
        for fn in demo.fns.values():
            if fn.api_visibility == "public" and (fn.api_name == prefix or fn.api_name.startswith(prefix + "_")):
                found.append(Endpoint(d.space, fn.api_name, [c for c in fn.inputs if not isinstance(c, gr.State)]))
    return found


class Http:
    """Gradio's queue protocol by hand, as a browser's fetch does it: upload files, POST the call, read the events.

    `session=True`: every call in one Gradio session, as a browser tab (and a gradio_client Client) does;
    False: none named, as a bare `curl` call, so Gradio makes a new session per call. A new session copies
    every block's config (33 ms of the server's CPU and 0.7 MB, kept up to ui.session_capacity, in the suite)."""

    def __init__(self, url: str, timeout: float = 30, session: bool = True):
        self.url = url.rstrip("/") + "/gradio_api"
        self.http = httpx.Client(timeout=timeout)
        self.session_hash = uuid.uuid4().hex[:11] if session else None

    def close(self) -> None:
        self.http.close()

    def _value(self, value):
        if isinstance(value, Path):
            return self._file(value)
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        return value

    def _file(self, path: Path) -> dict:
        with open(path, "rb") as f:
            r = self.http.post(f"{self.url}/upload", files={"files": (path.name, f)})
        r.raise_for_status()
        return {"path": r.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def call(self, api_name: str, values: list) -> tuple[str, object]:
        """('complete', data) or ('error', message or None)."""
        data = [self._value(v) for v in values]
        payload = {"data": data} if self.session_hash is None else {"data": data, "session_hash": self.session_hash}
        body = json.dumps(payload, ensure_ascii=True)  # a lone surrogate travels as \\ud800, as JSON allows
        r = self.http.post(f"{self.url}/call/{api_name}", content=body, headers={"content-type": "application/json"})
        if r.status_code != 200:
            return "error", r.text
        event_id = r.json()["event_id"]
        kind, payload = None, None
        with self.http.stream("GET", f"{self.url}/call/{api_name}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind in ("complete", "error"):
                    payload = json.loads(line.removeprefix("data: "))
                    break
        if kind == "error":
            return "error", payload.get("error") if isinstance(payload, dict) else payload
        return kind, payload
