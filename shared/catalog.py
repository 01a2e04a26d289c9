"""Every demo of the suite, in tab order: one place that the suite, the headers, deploy and the tests read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Demo:
    space: str  # folder under spaces/
    title: str
    emoji: str
    chapter: str  # the course chapter it shows
    blurb: str
    tasks: tuple[str, ...] = ()  # checkpoints/<task> folders it loads (deploy ships exactly these)


DEMOS: list[Demo] = [
    Demo("hello-world", "Hello world", "👋", "Chapter 9.2, Building your first demo",
         "A function, a textbox and a slider become a web app with `gr.Interface`."),
    Demo("flip", "Flip text and images", "🔁", "Chapter 9.7, Introduction to Gradio Blocks",
         "Two `gr.Tab`s in one Blocks app: reverse a text, mirror an image."),
    Demo("reverse-audio", "Reverse audio", "🎙️", "Chapter 9.3, Understanding the Interface class",
         "Record or upload a clip and hear it backwards."),
    Demo("generate-tone", "Generate a tone", "🎵", "Chapter 9.3, Understanding the Interface class",
         "Pick a note, an octave and a duration; get a sine wave back."),
    Demo("update-component", "Update component properties", "🧩", "Chapter 9.7, Introduction to Gradio Blocks",
         "A radio button changes another component's `lines` and `visible` with `gr.update`."),
    Demo("chat-state", "State: a tiny chatbot", "💬", "Chapter 9.6, Advanced Interface features",
         "`gr.State` keeps each visitor's conversation between calls."),
]

BY_SPACE = {d.space: d for d in DEMOS}


def get(space: str) -> Demo:
    try:
        return BY_SPACE[space]
    except KeyError:
        raise KeyError(f"unknown demo '{space}'; known: {', '.join(BY_SPACE)}") from None


def load_app(space: str):
    """Import spaces/<space>/app.py (the Space's own file, as Spaces runs it) and return the module."""
    import importlib.util
    import sys

    from shared.hub import REPO_ROOT

    path = REPO_ROOT / "spaces" / space / "app.py"
    name = f"space_app_{space.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
