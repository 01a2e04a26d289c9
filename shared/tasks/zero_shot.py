"""Zero-shot classification without an NLI model: sentence-embedding similarity to label hypotheses.

The course's `pipeline("zero-shot-classification")` asks an NLI model whether the text entails
"This example is {label}.". No NLI model exists offline here, so this task scores each label by the
cosine similarity between the text's sentence embedding and the embedding of a hypothesis built from a
template (e.g. "This text is about {label}."), with the encoder used exactly as sentence-transformers
uses all-MiniLM-L6-v2: mean pooling over the last hidden states (padding masked) + L2 normalisation,
at most 256 word pieces.

The "checkpoint" (`checkpoints/zero_shot/`, or its Hub id) is a small folder: `zero_shot_config.json`
names the encoder by its Hub id and holds the template and the calibration fitted on the Debian-topics dev
split (package descriptions labelled by archive section, `shared.data.debian_topics`) by
`python -m training.zero_shot`; the encoder itself is loaded through `shared.hub.base_model_path`, so
any Hub encoder id works unchanged (the packaged copy is used for all-MiniLM-L6-v2).

- `multi_label=False`: softmax over the labels of `scale * similarity` (scores sum to 1);
- `multi_label=True`: each label on its own, `sigmoid(scale * (similarity - offset))` in [0, 1].
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import numpy as np

from shared import hub

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
MAX_LABELS = 20
MAX_LABEL_CHARS = 100
MAX_TEXT_CHARS = 5_000  # hard cut before tokenising; the encoder itself reads at most MAX_SEQ_LENGTH pieces
MAX_SEQ_LENGTH = 256  # all-MiniLM-L6-v2's max_seq_length (sentence_bert_config.json)

_lock = threading.Lock()
_cache: dict[str, tuple[dict, "Encoder"]] = {}
_encoders: dict[tuple[str, int], "Encoder"] = {}


# ---------------------------------------------------------------------------------------------- input

def parse_labels(labels: str | list[str] | tuple[str, ...] | None, multi_label: bool = False) -> list[str]:
    """"sports, cooking,, Sports " -> ["sports", "cooking"]: split on commas, strip, drop empties and
    case-insensitive duplicates (first spelling kept); ValueError when too few or too many remain."""
    if labels is None:
        labels = []
    if isinstance(labels, str):
        labels = labels.split(",")
    out: list[str] = []
    seen: set[str] = set()
    for label in labels:
        label = " ".join(str(label).split())
        if label and label.lower() not in seen:
            seen.add(label.lower())
            out.append(label)
    need = 1 if multi_label else 2
    if len(out) < need:
        if multi_label:
            raise ValueError("Please give at least one label, e.g. \"sports, cooking, politics\".")
        raise ValueError("Please give at least two labels separated by commas, e.g. \"sports, cooking, politics\" "
                         "(or tick multi-label to score a single label on its own).")
    if len(out) > MAX_LABELS:
        raise ValueError(f"That is {len(out)} labels; this demo takes at most {MAX_LABELS}.")
    too_long = [label for label in out if len(label) > MAX_LABEL_CHARS]
    if too_long:
        raise ValueError(f"A label may have at most {MAX_LABEL_CHARS} characters; "
                         f"\"{too_long[0][:40]}...\" has {len(too_long[0])}.")
    return out


def check_template(template: str | None, config: dict | None = None) -> str:
    template = template or (config or {}).get("template") or DEFAULT_TEMPLATE
    if "{}" not in template:
        raise ValueError(f"The hypothesis template must contain {{}} where the label goes, "
                         f"e.g. \"{DEFAULT_TEMPLATE}\"; got \"{template}\".")
    return template


def hypotheses(labels: list[str], template: str = DEFAULT_TEMPLATE) -> list[str]:
    return [template.replace("{}", label) for label in labels]


def _check_text(text: str | None) -> tuple[str, str | None]:
    if text is None or not str(text).strip():
        raise ValueError("Please type or paste some text to classify first.")
    text = str(text).strip()
    if len(text) > MAX_TEXT_CHARS:
        return text[:MAX_TEXT_CHARS], f"{len(text):,} characters"
    return text, None


# -------------------------------------------------------------------------------------------- encoder

class Encoder:
    """A Hub encoder used as sentence-transformers uses it: mean pooling + L2 normalisation."""

    def __init__(self, model_id: str = ENCODER, max_seq_length: int = MAX_SEQ_LENGTH):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.model_id = model_id
        self.max_seq_length = max_seq_length
        path = hub.base_model_path(model_id)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path, use_safetensors=True).eval()
        self._torch = torch

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """(len(texts), hidden) float32 unit vectors; texts are batched by length, returned in input order."""
        torch = self._torch
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="embedding", unit="batch")
        with torch.inference_mode():
            for start in starts:
                idx = order[start:start + batch_size]
                enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                     max_length=self.max_seq_length, return_tensors="pt")
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[idx] = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
        return out

    def fit_text(self, text: str) -> tuple[str, int | None]:
        """`text` cut to what the encoder reads, and how many characters that is when it had to cut."""
        keep = self.max_seq_length - 2  # [CLS] and [SEP]
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=True,
                             max_length=keep + 1)
        if len(enc["input_ids"]) <= keep:
            return text, None
        end = enc["offset_mapping"][keep - 1][1]
        return text[:end], end


def get_encoder(model_id: str = ENCODER, max_seq_length: int = MAX_SEQ_LENGTH) -> Encoder:
    key = (model_id, max_seq_length)
    with _lock:
        if key not in _encoders:
            _encoders[key] = Encoder(model_id, max_seq_length)
        return _encoders[key]


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


def load(model: str | None = None) -> tuple[dict, Encoder]:
    """(config, encoder) for the resolved checkpoint, loaded once per process."""
    where = hub.resolve(TASK, model)
    with _lock:
        cached = _cache.get(where)
    if cached:
        return cached
    config = read_config(where)
    encoder = get_encoder(config.get("encoder", ENCODER), int(config.get("max_seq_length", MAX_SEQ_LENGTH)))
    with _lock:
        _cache[where] = (config, encoder)
    return config, encoder


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


def prepare(text: str | None, model: str | None = None) -> tuple[str, str | None]:
    """The text the model will read, and a sentence saying so when it had to be shortened."""
    text, cut_chars = _check_text(text)
    _, encoder = load(model)
    fitted, kept = encoder.fit_text(text)
    if cut_chars or kept is not None:
        total = cut_chars or f"{len(text):,} characters"
        return fitted, (f"This text is long ({total}): the model reads at most {encoder.max_seq_length} word "
                        f"pieces, so only its first {len(fitted):,} characters were classified.")
    return fitted, None


def classify(text: str, labels: str | list[str], multi_label: bool = False, template: str | None = None,
             model: str | None = None) -> dict[str, float]:
    """{label: score} sorted from most to least likely (see module docstring for what the scores mean)."""
    labels = parse_labels(labels, multi_label=multi_label)
    text, note = prepare(text, model)
    if note:
        warnings.warn(note, stacklevel=2)
    config, encoder = load(model)
    template = check_template(template, config)
    vectors = encoder.embed([text, *hypotheses(labels, template)])  # text + all hypotheses in one batch
    sims = vectors[1:] @ vectors[0]
    scores = scores_from_similarities(sims, config, multi_label=multi_label)
    ranked = sorted(zip(labels, scores.tolist()), key=lambda kv: kv[1], reverse=True)
    return {label: float(score) for label, score in ranked}
