"""Sentiment analysis (course chapter 1.3, `pipeline("sentiment-analysis")`): what training and the Space share.

The model is the checkpoint `shared.hub.resolve("sentiment")` names (checkpoints/sentiment/ by default: a
LoRA adapter on all-MiniLM-L6-v2 trained by `python -m training.sentiment` on Rotten Tomatoes sentences).
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

from shared import hub

TASK = "sentiment"
LABELS = ["negative", "positive"]
MAX_TOKENS = 256  # the model's window as trained (all-MiniLM-L6-v2 was trained at 256 word pieces)
MAX_CHARS = 5_000  # longer texts are cut here before tokenizing (the window holds ~1,000 characters anyway)
BATCH_SIZE = 32
EMPTY_MESSAGE = "Please type some text to classify: the box is empty."


def check_text(text) -> str:
    """The text itself, or ValueError with a sentence for a missing/blank one."""
    if text is None or not isinstance(text, str) or not text.strip():
        raise ValueError(EMPTY_MESSAGE)
    return text


def check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("predict() takes a list of texts; wrap a single text in a list.")
    texts = list(texts)
    if not texts:
        raise ValueError("No text to classify: the list is empty.")
    return [check_text(t) for t in texts]


_LINK = re.compile(r"(?:https?://|www\.)\S+")
_MENTION = re.compile(r"(?<!\w)\.?@\w+:?")  # "@user", ".@user", "@user:" (not an e-mail address)
_RETWEET = re.compile(r"(?:^|(?<=\s))RT(?=\s)")
_MAYBE_EMOJI = re.compile("[\u2000-\U0010ffff]")  # every emoji in VADER's table has a code point >= U+2000


@functools.cache
def _emoji():
    """(regex, {emoji: words}) from VADER's emoji table (vaderSentiment/emoji_utf8_lexicon.txt, MIT licence)."""
    from importlib.resources import files

    table = {}
    for line in files("vaderSentiment").joinpath("emoji_utf8_lexicon.txt").read_text(encoding="utf-8").splitlines():
        emoji, _, words = line.partition("\t")
        if words and not (len(emoji) == 1 and ord(emoji) < 0x2000):  # not "©" / "®": they stay as written
            table[emoji] = words
    return re.compile("|".join(map(re.escape, sorted(table, key=len, reverse=True)))), table


def normalize(text: str) -> str:
    """What the model reads, for training and inference alike: social-media clutter cleaned up.

    - HTML entities are decoded ("&amp;" -> "&", "&lt;3" -> "<3");
    - links, @mentions and the retweet mark "RT" are dropped (tweet models do the same, e.g. cardiffnlp's
      "@user"/"http" placeholders);
    - emoji become their names, as VADER reads them ("😡" -> "pouting face"): the uncased BERT vocabulary
      has none of them, so "This movie 😡" was [UNK] and came out 1.00 positive;
    - runs of whitespace become one space.
    A text made only of links and mentions is returned unchanged. On the Tweets test split this took
    accuracy from 0.827 to 0.877 with the same weights.
    """
    clean = text
    while (decoded := html.unescape(clean)) != clean:  # twice-escaped text exists ("&amp;amp;" in the NYT set)
        clean = decoded
    clean = _RETWEET.sub(" ", _MENTION.sub(" ", _LINK.sub(" ", clean)))
    if _MAYBE_EMOJI.search(clean):  # the 3,500-way emoji pattern is slow on long plain text: skip it there
        pattern, names = _emoji()
        clean = pattern.sub(lambda m: f" {names[m.group()]} ", clean).replace("\ufe0f", "")
    clean = " ".join(clean.split())
    return clean or text


def tokenize(tokenizer, texts: list[str], max_length: int = MAX_TOKENS, **kwargs):
    """The one tokenization training and inference share: `normalize`, then truncation to the window."""
    return _tokenize_clean(tokenizer, [normalize(t) for t in texts], max_length, **kwargs)


def _tokenize_clean(tokenizer, clean: list[str], max_length: int = MAX_TOKENS, **kwargs):
    """`tokenize` for texts already through `normalize` (classify keeps them for its truncation notices)."""
    return tokenizer([t[:MAX_CHARS] for t in clean], truncation=True, max_length=max_length, **kwargs)


def preprocess(tokenizer, batch: dict, max_length: int = MAX_TOKENS) -> dict:
    """datasets.map function: {"text", "label"} -> input_ids, attention_mask, token_type_ids, labels."""
    enc = tokenize(tokenizer, batch["text"], max_length=max_length)
    enc["labels"] = batch["label"]
    return enc


@dataclass
class Prediction:
    probs: dict[str, float]  # label -> probability, both labels
    truncated: bool = False
    notice: str | None = None  # a sentence to show the user when only part of the text was read

    @property
    def label(self) -> str:
        return max(self.probs, key=self.probs.get)


def load(where: str | None = None):
    """(model, tokenizer) from resolve("sentiment", where); loaded once per process by shared.modeling."""
    from shared.modeling import load_classifier

    return load_classifier(hub.resolve(TASK, where))


def _notice(text: str, read_chars: int) -> str:
    return (f"This text has {len(text):,} characters; the model reads at most {MAX_TOKENS} word pieces, so only "
            f"the first {read_chars:,} characters were classified.")


def classify(texts: list[str], *, model=None, tokenizer=None) -> list[Prediction]:
    """Batched prediction with truncation reporting; ValueError on empty input."""
    import torch

    texts = check_texts(texts)
    if model is None:
        model, tokenizer = load()
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    out: list[Prediction] = []
    for start in range(0, len(texts), BATCH_SIZE):
        chunk = [normalize(t) for t in texts[start:start + BATCH_SIZE]]  # what the model reads (notice offsets)
        enc = _tokenize_clean(tokenizer, chunk, padding=True, return_tensors="pt", return_offsets_mapping=True,
                              return_overflowing_tokens=False)
        offsets = enc.pop("offset_mapping")
        with torch.inference_mode():
            probs = model(**enc).logits.float().softmax(-1).tolist()
        for i, text in enumerate(chunk):
            n = int(enc["attention_mask"][i].sum())
            cut_chars = len(text) > MAX_CHARS
            cut_tokens = n >= MAX_TOKENS and _more_after(text, offsets[i])
            pred = Prediction({id2label[j]: float(p) for j, p in enumerate(probs[i])})
            if cut_chars or cut_tokens:
                read = int(offsets[i][:n].max()) if cut_tokens else MAX_CHARS
                pred.truncated = True
                pred.notice = _notice(text, read)
            out.append(pred)
    return out


def _more_after(text: str, offsets) -> bool:
    """True when text remains after the last token read (the window was full)."""
    end = int(offsets.max())
    return bool(text[end:MAX_CHARS].strip())


def predict(texts: list[str]) -> list[dict[str, float]]:
    """[{"negative": p, "positive": 1 - p}, ...] for each text (batched). See `classify` for truncation."""
    return [p.probs for p in classify(texts)]
