"""English -> French translation (course chapter 1's `pipeline("translation_en_to_fr")`, chapter 7.4's KDE4 model).

Two model shapes share this module, and training and the Space both go through it:
- seq2seq (the course's architecture, MarianMT): `encode_pairs` tokenizes `en` as input and `fr` as
  `labels` (`text_target=`), generation is beam search over the decoder;
- a causal LM with a chat template (a LoRA of SmolLM2-135M-Instruct): `chat_features` lays out the same
  pair as one conversation (system instruction, English as the user turn, French as the assistant turn) and
  computes the loss on the French tokens only; generation is greedy after the assistant header.
`load()` tells them apart from the folder's config (`is_encoder_decoder`) and a LoRA folder
(adapter_config.json) is merged into its base once at load.

The models learned from UI strings (at most 200 characters), so `translate_texts` translates a text piece by
piece: lines, sentences and the text between markup tags (`segments`; a tag such as `<b>` or `<a href="%1">` is a
break, kept as it is), batched (`predict_batch` batches the pieces of concurrent requests too), and joins the
pieces back with the same breaks. Inside a piece, every placeholder (printf's `%s`, `%.250s`, `%d`; KDE's `%1`;
`{name}`) is shown to the model as KDE's own `%1`, `%2`, ... in order (`mask`), the form it copies most
reliably, and a keyboard accelerator (`&File`) is taken out; both are put back afterwards (`unmask`).
`placeholders_kept` measures how many strings keep theirs.

Reranking (noisy channel): a checkpoint may carry a French -> English model in its `reverse/` folder (see
`training.translation --reverse`). Then a piece's beams are ranked by log P(fr|en) + weight * log P(en|fr), over
the French length, instead of log P(fr|en) alone: a French beam that dropped part of the English explains that
English badly, so it falls (the small model's commonest mistake is to leave words out). The weight was chosen on
the validation split and is kept in `reverse/rerank.json`; a folder without it is served without reranking.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from shared import compute, hub
from shared.tasks import Output, answer_batch, check_text

TASK = "translation"
MAX_INPUT_CHARS = 5_000
MAX_SEGMENT_CHARS = 400  # a longer sentence is cut (with a notice): the models saw strings up to 200
MAX_MODEL_TOKENS = 128  # tokens read per segment, as the course's max_length
MAX_NEW_TOKENS = 160
NUM_BEAMS = 4
SEGMENTS_PER_CALL = 32  # pieces per `generate` call: a batched request of 16 long texts is not one huge batch
REVERSE_DIR = "reverse"  # the checkpoint's subfolder with its French -> English reranker
RERANK_FILE = "rerank.json"  # in REVERSE_DIR: {"weight": ..., ...}
SYSTEM = "Translate this English software text into French."  # short: every training example repeats it
# printf with a position (%1$s), KDE's %1, printf (%s, %-5d, %.250s, %lu; not "100% done"), {name}
INLINE = re.compile(r"%\d+\$[-+#0-9.*]*[a-zA-Z]|%\d+|%(?!\d)[-+#0-9.*]*(?:hh|h|ll|l|z|j|t|L)?[diouxXeEfFgGcsp]"
                    r"|\{\w*\}")
# a markup tag: lower-case name, attributes with values (<b>, </p>, <br />, <a href="%1">; not "<Dry Run>")
TAG = r"</?[a-z][a-z0-9]*(?:\s+[\w:-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))*\s*/?>"
# a keyboard accelerator: the & before a letter (&File, Sa&ve); not "&&" (a literal &) nor an entity (&amp;)
ACCELERATOR = re.compile(r"(?<!&)&(?=[^\W\d_])(?![a-zA-Z]+;)")
PLACEHOLDER = re.compile(f"{TAG}|{INLINE.pattern}|{ACCELERATOR.pattern}")
EXAMPLES = ["Default to expanded threads",
            "Unable to import %1 using the OFX importer plugin. This file is not the correct format.",
            "Open the file", "&Save As..."]


def check(text) -> str:
    return check_text(text, "English text", max_chars=MAX_INPUT_CHARS)


# ------------------------------------------------------------------------------------------ preprocessing

def encode_pairs(batch, tokenizer, max_length: int = MAX_MODEL_TOKENS) -> dict:
    """Seq2seq features of a batch {"en": [...], "fr": [...]}: input_ids/attention_mask and labels."""
    return tokenizer(batch["en"], text_target=batch["fr"], max_length=max_length, truncation=True)


def chat_messages(en: str, fr: str | None = None) -> list[dict]:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": en}]
    return messages + ([{"role": "assistant", "content": fr}] if fr is not None else [])


def prompt_ids(tokenizer, en: str) -> list[int]:
    """The chat prompt up to the assistant header, as token ids."""
    return tokenizer.apply_chat_template(chat_messages(en), add_generation_prompt=True, tokenize=True,
                                         return_dict=False)


def chat_features(batch, tokenizer, max_length: int = MAX_MODEL_TOKENS) -> dict:
    """Causal-LM features of a batch {"en", "fr"}: prompt + French + end of turn, labels -100 on the prompt."""
    out = {"input_ids": [], "attention_mask": [], "labels": []}
    end = tokenizer.eos_token or ""
    for en, fr in zip(batch["en"], batch["fr"]):
        prompt = prompt_ids(tokenizer, en)
        answer = tokenizer(fr + end, add_special_tokens=False)["input_ids"]
        ids = (prompt + answer)[: max_length + len(prompt)]
        out["input_ids"].append(ids)
        out["attention_mask"].append([1] * len(ids))
        out["labels"].append([-100] * len(prompt) + ids[len(prompt):])
    return out


# ------------------------------------------------------------------------------------------ model

def load(model: str | None = None):
    """(model, tokenizer) for `model` (a folder or Hub id; default `shared.hub.resolve(TASK)`) at the serving
    precision (`shared.modeling.served`), once per process."""
    from shared import modeling

    return modeling.served(TASK, str(hub.resolve(TASK, model)), _load)


class Reverse(NamedTuple):
    net: object  # a French -> English seq2seq model
    tokenizer: object
    weight: float  # of its log-probability, beside the forward model's


def load_reverse(model: str | None = None, *, weight: float | None = None) -> Reverse | None:
    """The reranker kept with `model` (its REVERSE_DIR folder, loaded as `load` loads a model, with RERANK_FILE's
    weight, or `weight`), or None when the checkpoint has none (a Hub model such as opus-mt-en-fr, a LoRA) or its
    weight is 0."""
    from shared import modeling

    where = reverse_folder(str(hub.resolve(TASK, model)))
    if where is not None and weight is None and (where / RERANK_FILE).is_file():
        weight = float(json.loads((where / RERANK_FILE).read_text())["weight"])
    if where is None or not weight:  # none, its weight not chosen yet, or chosen as 0
        return None
    # at the precision its checkpoint passed at: `training.serving_precision` scores the two together
    net, tokenizer = modeling.served(f"{TASK}-reverse", str(where), _load, checked_in=str(where.parent))
    return Reverse(net, tokenizer, weight)


def reverse_folder(where: str) -> Path | None:
    """`where`'s REVERSE_DIR if it holds a model (a local folder, or a Hub repo fetched once), else None."""
    if not Path(where).is_dir():
        where = _hub_snapshot(where)
        if where is None:
            return None
    folder = Path(where) / REVERSE_DIR
    return folder if (folder / "config.json").is_file() else None


@functools.cache  # once per process: each request asks for its model's reranker
def _hub_snapshot(repo_id: str) -> str | None:
    """The local copy of `repo_id`'s REVERSE_DIR files (None offline, or with no such repo: no reranking then, as
    for a model without one)."""
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(repo_id, allow_patterns=[f"{REVERSE_DIR}/*"])
    except Exception:
        return None


def _load(where: str):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    from shared.modeling import _adapter_config

    adapter = _adapter_config(where)
    if adapter is not None:  # a LoRA of a causal LM: load the base, apply and merge the adapter
        from peft import PeftModel

        base = hub.base_model_path(adapter.base_model_name_or_path)
        net = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, use_safetensors=True)
        net = PeftModel.from_pretrained(net, where).merge_and_unload()
        return net.eval(), AutoTokenizer.from_pretrained(where)
    config = AutoConfig.from_pretrained(where)
    cls = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
    net = cls.from_pretrained(where, dtype=torch.float32, use_safetensors=True)
    return net.eval(), AutoTokenizer.from_pretrained(where)


@compute.on_it
def translate_batch(net, tokenizer, texts: list[str], *, num_beams: int = NUM_BEAMS,
                    max_new_tokens: int = MAX_NEW_TOKENS, candidates: int = 1,
                    reverse: Reverse | None = None) -> list[str]:
    """French for each English string (one generate call; with `candidates` > 1 a seq2seq model gives that many
    beams per string, best first, one after another); with a `reverse` model, a seq2seq model's beams are ranked
    by `rerank`. The same code serves training's evaluation."""
    import torch

    if not texts:
        return []
    with torch.inference_mode():
        if net.config.is_encoder_decoder:
            batch = tokenizer(texts, max_length=MAX_MODEL_TOKENS, truncation=True, padding=True,
                              return_tensors="pt")
            kept = max(candidates, num_beams if reverse else 1)
            out = net.generate(**batch, num_beams=max(num_beams, kept), max_new_tokens=max_new_tokens,
                               num_return_sequences=kept, output_scores=reverse is not None,
                               return_dict_in_generate=True)
            french = [t.strip() for t in tokenizer.batch_decode(out.sequences, skip_special_tokens=True)]
            if reverse is not None:
                lengths = (out.sequences[:, 1:] != tokenizer.pad_token_id).sum(1).clamp(min=1)
                french = rerank(texts, french, out.sequences_scores * lengths, lengths, reverse)
            return french if kept == candidates else french[::kept]
        prompts = [prompt_ids(tokenizer, t[:MAX_SEGMENT_CHARS]) for t in texts]
        side = tokenizer.padding_side
        tokenizer.padding_side = "left"  # a causal LM continues from the end of each row
        try:
            batch = tokenizer.pad({"input_ids": prompts}, return_tensors="pt")
        finally:
            tokenizer.padding_side = side
        out = net.generate(**batch, do_sample=False, num_beams=1, max_new_tokens=max_new_tokens,
                           pad_token_id=tokenizer.pad_token_id)
        return [t.strip() for t in tokenizer.batch_decode(out[:, batch["input_ids"].shape[1]:],
                                                          skip_special_tokens=True)]


def rerank(texts: list[str], french: list[str], forward, lengths, reverse: Reverse) -> list[str]:
    """`french` (the same number of beams for each of `texts`, one text's after another) with each text's beams
    reordered by (forward log-probability + reverse.weight * log P(English | French)) / French tokens."""
    per_text = len(french) // len(texts)
    english = [text for text in texts for _ in range(per_text)]
    score = ((forward + reverse.weight * log_likelihood(reverse.net, reverse.tokenizer, french, english))
             / lengths).tolist()
    out = []
    for start in range(0, len(french), per_text):
        order = sorted(range(start, start + per_text), key=lambda i: -score[i])
        out += [french[i] for i in order]
    return out


def log_likelihood(net, tokenizer, sources: list[str], targets: list[str]):
    """log P(target | source) of a seq2seq model for each pair (a tensor), teacher-forced in one batch."""
    import torch

    batch = tokenizer(sources, text_target=targets, max_length=MAX_MODEL_TOKENS, truncation=True, padding=True,
                      return_tensors="pt")
    labels = batch["labels"].masked_fill(batch["labels"] == tokenizer.pad_token_id, -100)
    logits = net(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels).logits
    picked = torch.log_softmax(logits.float(), -1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (picked * (labels != -100)).sum(1)


# ------------------------------------------------------------------------------------------ long text

# a break between pieces: markup tags (with the spaces around them), a sentence's end, line breaks
_BREAK = re.compile(rf"\s*(?:{TAG}\s*)+|(?<=[.!?…])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_TAG = re.compile(TAG)
_SENTINEL = re.compile(r"%(\d+)")


def segments(text: str) -> list[tuple[str, str]]:
    """`text` as (piece, break-after) pairs, cut at markup tags, sentence ends and line breaks (`_BREAK`); joining
    piece + break gives the text back (a piece may be empty or blank: it is kept as it is)."""
    out, start = [], 0
    for cut in _BREAK.finditer(text):
        out.append((text[start:cut.start()], cut.group()))
        start = cut.end()
    return out + [(text[start:], "")] if start < len(text) or not out else out


class Masked(NamedTuple):
    text: str  # what the model reads
    marks: list[str]  # the placeholders it replaced, in order: %1 stands for marks[0]
    accelerator: bool  # the English had a keyboard accelerator, taken out


def mask(text: str) -> Masked:
    """`text` with its placeholders (`INLINE`) written as KDE's %1, %2, ... in order, and without its keyboard
    accelerator (the & splits "&French" into pieces the model knows less well: it wrote "&Proissant")."""
    marks: list[str] = []

    def sentinel(match) -> str:
        marks.append(match.group())
        return f"%{len(marks)}"
    text, accelerators = ACCELERATOR.subn("", INLINE.sub(sentinel, text))
    return Masked(text, marks, accelerators > 0)


def unmask(french: str, masked: Masked) -> str:
    """`mask` undone on a translation: an accelerator (if the English had one and the French has none) before its
    first letter, then each %k the model wrote back as the k-th placeholder."""
    if masked.accelerator and not ACCELERATOR.search(french):
        french = re.sub(r"[^\W\d_]", r"&\g<0>", french, count=1)
    marks = masked.marks
    return _SENTINEL.sub(lambda m: marks[int(m.group(1)) - 1] if 0 < int(m.group(1)) <= len(marks)
                         else m.group(), french)


def has_words(piece: str) -> bool:
    """Whether a piece has letters besides its placeholders (a piece like "%1" or ": %2" is not translated)."""
    return bool(re.search(r"[^\W\d_]", INLINE.sub("", piece)))


def translate_texts(net, tokenizer, texts: list[str], *, max_new_tokens: int = MAX_NEW_TOKENS,
                    reverse: Reverse | None = None) -> list[str]:
    """French for each text: its pieces (`segments`) with words, cut to MAX_SEGMENT_CHARS and masked (`mask`), are
    translated in `translate_batch` calls of at most SEGMENTS_PER_CALL pieces, shortest first (little padding),
    unmasked (tags the model wrote are dropped), fitted to their piece (`_fit`) and joined back with their breaks;
    beams reranked by `reverse` (`load_reverse`) where given. The Space and training's scores both go through it."""
    pieces = [segments(text) for text in texts]
    todo = [mask(piece.strip()[:MAX_SEGMENT_CHARS]) for text in pieces for piece, _ in text if has_words(piece)]
    order = sorted(range(len(todo)), key=lambda i: len(todo[i].text))
    french = [""] * len(todo)
    for start in range(0, len(order), SEGMENTS_PER_CALL):
        chunk = order[start:start + SEGMENTS_PER_CALL]
        for i, out in zip(chunk, translate_batch(net, tokenizer, [todo[i].text for i in chunk],
                                                   max_new_tokens=max_new_tokens, reverse=reverse)):
            french[i] = _TAG.sub("", out)  # a piece has no tags: any is invented
    _keep_placeholders(net, tokenizer, todo, french, max_new_tokens, reverse)
    french = [unmask(out, masked) for out, masked in zip(french, todo)]
    answers = iter(french)
    return ["".join((_fit(piece, next(answers)) if has_words(piece) else piece) + cut for piece, cut in text)
            for text in pieces]


def _keep_placeholders(net, tokenizer, todo: list[Masked], french: list[str], max_new_tokens: int,
                       reverse: Reverse | None = None, candidates: int = 8) -> None:
    """Where a masked piece's French lost (or doubled) one of its `%1`, `%2`, ..., take instead the best of
    `candidates` beams that has each exactly once (a seq2seq model; else, or if none has, keep the first)."""
    wanted = [Counter(_SENTINEL.findall(masked.text)) for masked in todo]
    lost = [i for i, out in enumerate(french) if Counter(_SENTINEL.findall(out)) != wanted[i]]
    if not lost or not net.config.is_encoder_decoder:
        return
    per_call = max(1, SEGMENTS_PER_CALL // candidates)
    for start in range(0, len(lost), per_call):
        chunk = lost[start:start + per_call]
        beams = translate_batch(net, tokenizer, [todo[i].text for i in chunk], max_new_tokens=max_new_tokens,
                                candidates=candidates, reverse=reverse)
        for n, i in enumerate(chunk):
            beam = beams[n * candidates:(n + 1) * candidates]
            kept = [b for b in beam if Counter(_SENTINEL.findall(b)) == wanted[i]]
            if kept:
                french[i] = _TAG.sub("", kept[0])


def _fit(piece: str, french: str) -> str:
    """A piece's translation with the piece's own spaces and line breaks around it (gettext wants a message's
    trailing newline kept) and a capital first letter where the English starts with one."""
    if piece.lstrip()[:1].isupper() and french[:1].islower():
        french = french[0].upper() + french[1:]
    return piece[:len(piece) - len(piece.lstrip())] + french + piece[len(piece.rstrip()):]


def predict(text, model: str | None = None) -> Output:
    """The French translation of `text` (the pipeline's `translation_text`)."""
    return _translate([check(text)], model)[0]


def predict_batch(texts: list, model: str | None = None) -> list[Output]:
    """`predict` for a list of texts, their sentences translated together (the Space's batched event); a bad text
    gets an Output with `error` and does not fail the others."""
    return answer_batch(texts, check, lambda good: _translate(good, model))


def _translate(texts: list[str], model: str | None) -> list[Output]:
    net, tokenizer = load(model)
    outputs = []
    for text, french in zip(texts, translate_texts(net, tokenizer, texts, reverse=load_reverse(model))):
        long = sum(len(piece.strip()) > MAX_SEGMENT_CHARS for piece, _ in segments(text) if has_words(piece))
        notices = [f"{long} sentence(s) are longer than {MAX_SEGMENT_CHARS} characters; only their first "
                   f"{MAX_SEGMENT_CHARS} were translated (this model learned from short UI strings)."] if long else []
        outputs.append(Output(french, notices))
    return outputs


def placeholders(text: str) -> Counter:
    """The placeholders, tags and accelerator of a string (`%1`, `%s`, `<b>`, `{name}`, `&`), as a multiset."""
    return Counter(PLACEHOLDER.findall(text))


def placeholders_kept(sources: list[str], translations: list[str]) -> float:
    """The share of sources with placeholders (`%1`, `<b>`, `{x}`) whose translation has exactly the same ones."""
    with_marks = [(placeholders(s), t) for s, t in zip(sources, translations) if placeholders(s)]
    if not with_marks:
        return float("nan")
    return sum(marks == placeholders(t) for marks, t in with_marks) / len(with_marks)
