"""Zero-shot classification without an NLI model: sentence-embedding similarity to label hypotheses.

The course's `pipeline("zero-shot-classification")` asks an NLI model whether the text entails
"This example is {label}.". No NLI model exists offline here, so this task scores each label by the
cosine similarity between the text's sentence embedding and the embedding of a hypothesis built from a
template (e.g. "This text is about {label}."), with the encoder loaded by sentence-transformers (`SentenceTransformer(...).encode(normalize_embeddings=True)`:
mean pooling + L2 normalisation, at most 256 word pieces).

The "checkpoint" (`checkpoints/zero_shot/`, or its Hub id) is a small folder: `zero_shot_config.json`
names the encoder by its Hub id and holds the template and the calibration fitted on the Debian-topics dev
split (package descriptions labelled by archive section, `shared.data.debian_topics`) by
`python -m training.zero_shot`; the encoder itself is loaded through `shared.hub.base_model_path`, so
any Hub encoder id works unchanged (the packaged copy is used for all-MiniLM-L6-v2).

- `multi_label=False`: softmax over the labels of `scale * similarity` (scores sum to 1);
- `multi_label=True`: each label on its own, `sigmoid(scale * (similarity - offset))` in [0, 1].

The module follows the task contract of `shared.tasks`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from shared import hub
from shared.embeddings import MAX_MODEL_TOKENS, embed, get_encoder
from shared.tasks import InputError, Output, answer_batch, check_text, excerpt

TASK = "zero_shot"
CONFIG_NAME = "zero_shot_config.json"
ENCODER = hub.MINILM
DEFAULT_TEMPLATE = "This text is about {}."
# Candidate hypothesis templates, most natural first: training.zero_shot takes the best on the Debian-topics
# dev split, or the earliest one in this list whose dev accuracy is within one standard error of the best.
TEMPLATES = [
    "This text is about {}.",
    "A text about {}.",
    "The topic of this text is {}.",
    "{}",
    "This example is {}.",  # the NLI pipeline's default; reads oddly with topic nouns ("This example is games.")
    "This is a {} text.",  # reads oddly with many labels ("This is a education text.")
]
MAX_INPUT_CHARS = 100_000
MAX_LABELS = 20
MAX_LABEL_CHARS = 100
_READ_CHARS = 8_192  # raw characters tokenized at most: ~8x what the window holds


# ---------------------------------------------------------------------------------------------- input

def parse_labels(labels: str | list[str] | tuple[str, ...] | None, multi_label: bool = False) -> list[str]:
    """"sports, cooking,, Sports " (or a list of strings) -> ["sports", "cooking"]: split on commas, strip, drop
    empties and case-insensitive duplicates (first spelling kept); InputError when too few or too many remain,
    or when `labels` is neither a string nor a list of strings."""
    if labels is None:
        labels = []
    if isinstance(labels, str):
        if len(labels) > MAX_LABELS * (MAX_LABEL_CHARS + 2):
            raise InputError(f"The labels take {len(labels):,} characters; give at most {MAX_LABELS} labels of at "
                             f"most {MAX_LABEL_CHARS} characters each.")
        labels = labels.split(",")
    elif not isinstance(labels, (list, tuple)) or not all(isinstance(x, str) for x in labels):
        raise InputError(f"The candidate labels must be text separated by commas (or a list of texts); got "
                         f"{excerpt(labels, 40)}.")
    out: list[str] = []
    seen: set[str] = set()
    for label in labels:
        label = " ".join(label.split())
        if label and label.lower() not in seen:
            seen.add(label.lower())
            out.append(label)
    need = 1 if multi_label else 2
    if len(out) < need:
        if multi_label:
            raise InputError("Please give at least one label, e.g. \"sports, cooking, politics\".")
        raise InputError("Please give at least two labels separated by commas, e.g. \"sports, cooking, politics\" "
                         "(or tick multi-label to score a single label on its own).")
    if len(out) > MAX_LABELS:
        raise InputError(f"That is {len(out)} labels; this demo takes at most {MAX_LABELS}.")
    too_long = [label for label in out if len(label) > MAX_LABEL_CHARS]
    if too_long:
        raise InputError(f"A label may have at most {MAX_LABEL_CHARS} characters; "
                         f"\"{too_long[0][:40]}...\" has {len(too_long[0])}.")
    for label in out:
        check_text(label, "label")  # encodable
    return out


def check_template(template: str | None, config: dict | None = None) -> str:
    template = template or (config or {}).get("template") or DEFAULT_TEMPLATE
    if not isinstance(template, str) or "{}" not in template:
        raise InputError(f"The hypothesis template must contain {{}} where the label goes, "
                         f"e.g. \"{DEFAULT_TEMPLATE}\"; got {excerpt(template, 40)}.")
    return check_text(template, "template", max_chars=MAX_LABEL_CHARS * 2)


def check(text, labels, multi_label=False, template: str | None = None) -> tuple[str, list[str], bool, str | None]:
    """(text, labels, multi_label, template) checked, labels first (they need no model): InputError on any."""
    if not isinstance(multi_label, bool) and multi_label not in (0, 1, None):
        raise InputError(f"multi_label must be true or false; got {excerpt(multi_label, 20)}.")
    labels = parse_labels(labels, multi_label=bool(multi_label))
    text = check_text(text, empty="Please type or paste some text to classify first.").strip()
    return text, labels, bool(multi_label), None if template is None else check_template(template)


def hypotheses(labels: list[str], template: str = DEFAULT_TEMPLATE) -> list[str]:
    return [template.replace("{}", label) for label in labels]


# ---------------------------------------------------------------------------------------------- model

def read_config(where: str) -> dict:
    """The zero_shot_config.json of a local folder or of a Hub repo."""
    folder = Path(where)
    if folder.is_dir():
        path = folder / CONFIG_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{folder} has no {CONFIG_NAME}; write one with `python -m training.zero_shot`.")
    else:
        from huggingface_hub import hf_hub_download

        path = hf_hub_download(where, CONFIG_NAME)
    return json.loads(Path(path).read_text())


def load(model: str | None = None) -> tuple[dict, object]:
    """(config, encoder) for the resolved checkpoint, loaded once per process."""
    from shared import modeling

    where = hub.resolve(TASK, model)
    config = modeling.cached(("zero-shot-config", where), lambda: read_config(where))
    return config, get_encoder(config.get("encoder", ENCODER), int(config.get("max_seq_length", MAX_MODEL_TOKENS)),
                               precision=modeling.serving_precision(where))


# -------------------------------------------------------------------------------------------- scoring

def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def scores_from_similarities(similarities: np.ndarray, config: dict, multi_label: bool = False) -> np.ndarray:
    """Cosine similarities (..., n_labels) -> probabilities with the config's calibration."""
    s = np.asarray(similarities, dtype=np.float64)
    if multi_label:
        cal = config.get("multi_label", {})
        return sigmoid(float(cal.get("scale", 20.0)) * (s - float(cal.get("offset", 0.3))))
    return softmax(float(config.get("single_label", {}).get("scale", 20.0)) * s)


def fit_text(tokenizer, text: str, max_seq_length: int) -> str:
    """`text` cut to what the encoder reads ([CLS] + max_seq_length - 2 pieces + [SEP])."""
    keep = max_seq_length - 2
    enc = tokenizer(text[:_READ_CHARS], add_special_tokens=False, return_offsets_mapping=True, truncation=True,
                    max_length=keep + 1)
    if len(enc["input_ids"]) <= keep:
        return text[:_READ_CHARS]
    return text[:enc["offset_mapping"][keep - 1][1]]


def predict(text: str, labels: str | list[str], multi_label: bool = False, template: str | None = None,
            model: str | None = None) -> Output:
    """{label: score} sorted from most to least likely (see module docstring for what the scores mean), with a
    notice when the text was longer than the model reads."""
    return _classify([check(text, labels, multi_label, template)], model)[0]


def predict_batch(requests: list, model: str | None = None) -> list[Output]:
    """`predict` for a list of (text, labels[, multi_label[, template]]) requests, every text and hypothesis of
    the batch embedded in one `encode` call (the Space's batched event; a hypothesis asked twice is embedded
    once); a bad request gets an Output with `error` and does not fail the others."""
    return answer_batch(requests, check, lambda good: _classify(good, model),
                        unpack="(text, labels, multi_label)")


def _classify(requests: list[tuple[str, list[str], bool, str | None]], model: str | None) -> list[Output]:
    config, encoder = load(model)
    outputs, reads, asked = [], [], []
    for text, labels, _, template in requests:
        out = Output()
        read = fit_text(encoder.tokenizer, text, encoder.max_seq_length)
        if len(read) < len(text):
            out.notices.append(f"This text is long ({len(text):,} characters): the model reads at most "
                               f"{encoder.max_seq_length} word pieces, so only its first {len(read):,} characters "
                               "were classified.")
        outputs.append(out)
        reads.append(read)
        asked.append(hypotheses(labels, check_template(template, config)))
    sentences = list(dict.fromkeys([*reads, *(h for hs in asked for h in hs)]))  # each sentence embedded once
    row = {sentence: i for i, sentence in enumerate(sentences)}
    vectors = embed(encoder, sentences)  # every text and hypothesis in one call
    for out, read, hyps, (_, labels, multi_label, _) in zip(outputs, reads, asked, requests):
        similarities = vectors[[row[h] for h in hyps]] @ vectors[row[read]]
        scores = scores_from_similarities(similarities, config, multi_label=multi_label)
        out.value = dict(sorted(zip(labels, map(float, scores)), key=lambda kv: kv[1], reverse=True))
    return outputs
