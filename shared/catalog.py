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
    short: str = ""  # the suite's tab label when the title is too long for one row of tabs

    @property
    def tab(self) -> str:
        return f"{self.emoji} {self.short or self.title}"


DEMOS: list[Demo] = [
    Demo("sentiment", "Sentiment analysis", "🎭",
         "Chapter 1.3, Transformers: what can they do? (pipeline('sentiment-analysis'))",
         "Type a sentence and get the probability that it is positive or negative, from a small model "
         "fine-tuned here on Rotten Tomatoes review snippets.", tasks=("sentiment",), short="Sentiment"),
    Demo("zero-shot", "Zero-shot classification", "🏷️",
         "Chapter 1.3, Transformers: what can they do? (pipeline('zero-shot-classification'))",
         "Type a text and any labels you like: each label is scored by how close the text's sentence embedding "
         "is to the hypothesis \"This text is about {label}.\", with no training on those labels.",
         tasks=("zero_shot",), short="Zero-shot"),
    Demo("pair-classification", "Sentence pairs (fine-tuning, ch3)", "🔗",
         "Chapter 3, Fine-tuning a pretrained model",
         "Type a question and a sentence: does the sentence contain the answer? A small encoder fine-tuned "
         "here, as in chapter 3, on question/sentence pairs rebuilt from SQuAD (QNLI-style).",
         tasks=("pair_classification",), short="Sentence pairs"),
    Demo("hello-world", "Hello world", "👋", "Chapter 9.2, Building your first demo",
         "A function, a textbox and a slider become a web app with `gr.Interface`."),
    Demo("flip", "Flip text and images", "🔁", "Chapter 9.7, Introduction to Gradio Blocks",
         "Two `gr.Tab`s in one Blocks app: reverse a text, mirror an image.", short="Flip"),
    Demo("reverse-audio", "Reverse audio", "🎙️", "Chapter 9.3, Understanding the Interface class",
         "Record or upload a clip and hear it backwards."),
    Demo("generate-tone", "Generate a tone", "🎵", "Chapter 9.3, Understanding the Interface class",
         "Pick a note, an octave and a duration; get a sine wave back.", short="Tone"),
    Demo("update-component", "Update component properties", "🧩", "Chapter 9.7, Introduction to Gradio Blocks",
         "A radio button changes another component's `lines` and `visible` with `gr.update`.", short="Update a component"),
    Demo("chat-state", "State: a tiny chatbot", "💬", "Chapter 9.6, Advanced Interface features",
         "`gr.State` keeps each visitor's conversation between calls.", short="State"),
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


def markdown_table() -> str:
    """The README's table of demos: Space, course chapter, model and the headline metric of its card."""
    from shared.cards import card_summary
    from shared.hub import CHECKPOINTS_DIR

    rows = ["| Space | Course chapter | Model | Metric on its card |", "|---|---|---|---|"]
    for d in DEMOS:
        models, metrics = [], []
        for task in d.tasks:
            info = card_summary(CHECKPOINTS_DIR / task)
            models.append(f"[`checkpoints/{task}`](checkpoints/{task}/README.md) on `{info.get('base_model', '?')}`")
            metrics.append(info.get("headline", "no card"))
        rows.append(f"| [{d.emoji} {d.title}](spaces/{d.space}) | {d.chapter} | {'; '.join(models) or 'no model'} "
                    f"| {'; '.join(metrics) or 'n/a'} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
