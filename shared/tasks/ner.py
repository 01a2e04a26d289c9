"""Named-entity recognition (course chapter 7.2, `pipeline("ner", aggregation_strategy="simple")`).

What training and the Space share: the CoNLL labels in IOB2, the course's label alignment, the casing feature,
the windows over long text, and predict(). The checkpoint (checkpoints/ner/, `python -m training.ner`) is
all-MiniLM-L6-v2 fine-tuned in full with a token-classification head, on silver labels (shared.data.ner).

Casing. MiniLM's vocabulary is uncased, and case is most of what tells "Apple" (ORG) from "apple". A checkpoint
whose config says `casing_feature: true` reads each word's case through BERT's token-type embeddings, widened
to `len(CASES)` rows: every word piece gets the type of its word (0 lower / no letters, 1 Capitalized,
2 ALL CAPS). The architecture stays a plain BertForTokenClassification; only the token_type_ids differ.
Decoding. A word's tag is not its own argmax: the tags of a sentence are decoded together (`iob2_path`, Viterbi),
as the most probable sequence that is valid IOB2 (I-X only after B-X or I-X). Argmax alone can open an entity with
I-X, or continue a PER with I-ORG; on the silver test split the constrained path scored entity F1 0.740 against
argmax's 0.727 (the same checkpoint, fp32).
The module follows the task contract of `shared.tasks`.
"""

from __future__ import annotations

import functools

import numpy as np

from shared import hub, modeling
from shared.tasks import Output, answer_batch, check_text

TASK = "ner"
TYPES = ["PER", "ORG", "LOC", "MISC"]
LABELS = ["O"] + [f"{p}-{t}" for t in TYPES for p in ("B", "I")]  # the course's order: B-X odd, I-X = B-X + 1
CASES = ["lower", "Capitalized", "UPPER"]
MAX_INPUT_CHARS = 20_000  # about 8 windows of text
MAX_MODEL_TOKENS = 256  # one window; longer text is read in overlapping windows
STRIDE = 64  # word pieces shared by two consecutive windows
BATCH_WINDOWS = 32  # windows per forward pass


# ------------------------------------------------------------------------------------- decoding

@functools.lru_cache(maxsize=8)
def _transitions(labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(log-weight of tag j after tag i, log-weight of tag j first): 0 where IOB2 allows it, -inf-like where not."""
    banned = -1e9
    after = np.zeros((len(labels), len(labels)))
    for j, tag in enumerate(labels):
        if tag.startswith("I-"):
            after[:, j] = [0.0 if prev[2:] == tag[2:] and prev != "O" else banned for prev in labels]
    first = np.array([banned if tag.startswith("I-") else 0.0 for tag in labels])
    return after, first


def label_names(net) -> list[str]:
    """The checkpoint's labels in id order."""
    return [net.config.id2label[i] for i in range(len(net.config.id2label))]


def iob2_path(word_probs, labels: list[str]) -> list[int]:
    """The label ids of the most probable valid IOB2 sequence, given each word's label probabilities (rows of
    `word_probs`, words x labels): Viterbi over log-probabilities, an I-X allowed only after B-X or I-X."""
    logp = np.log(np.asarray(word_probs, dtype=np.float64) + 1e-12)
    if not len(logp):
        return []
    after, first = _transitions(tuple(labels))
    score, back = logp[0] + first, []
    for row in logp[1:]:
        candidates = score[:, None] + after
        back.append(candidates.argmax(0))
        score = candidates.max(0) + row
    path = [int(score.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return path[::-1]


# ------------------------------------------------------------------------------------- training side

def casing(word: str) -> int:
    """0 lower case or no letters, 1 Capitalized, 2 ALL CAPS (two letters or more)."""
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return 0
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return 2
    return 1 if letters[0].isupper() else 0


def align_labels_with_tokens(labels: list[int], word_ids: list[int | None]) -> list[int]:
    """The course's rule: -100 on special tokens; a word's first piece keeps its label, the other pieces of a
    B-X word become I-X."""
    aligned, current = [], None
    for word_id in word_ids:
        if word_id is None:
            aligned.append(-100)
        elif word_id != current:
            aligned.append(labels[word_id])
        else:
            label = labels[word_id]
            aligned.append(label + 1 if label % 2 == 1 else label)
        current = word_id
    return aligned


def tokenize_and_align(batch: dict, tokenizer, max_length: int = MAX_MODEL_TOKENS, use_casing: bool = False) -> dict:
    """datasets.map function over {"tokens", "ner_tags"}: input_ids, attention_mask, token_type_ids, labels."""
    enc = tokenizer(batch["tokens"], truncation=True, max_length=max_length, is_split_into_words=True)
    enc["labels"], types = [], []
    for i, tags in enumerate(batch["ner_tags"]):
        word_ids = enc.word_ids(i)
        enc["labels"].append(align_labels_with_tokens(tags, word_ids))
        words = batch["tokens"][i]
        types.append([0 if w is None else casing(words[w]) for w in word_ids])
    if use_casing:
        enc["token_type_ids"] = types
    return enc


# ------------------------------------------------------------------------------------------ serving

def check(text) -> str:
    return check_text(text, max_chars=MAX_INPUT_CHARS, empty="Please type a sentence to tag: the box is empty.")


def load(model: str | None = None):
    """(model, tokenizer) for `model` or resolve("ner"); loaded once per process by shared.modeling."""
    from shared import modeling

    return modeling.load_classifier(hub.resolve(TASK, model), head="token")


def word_cases(text: str, word_ids: list[int | None], offsets) -> list[int]:
    """Each piece's token type: the `casing` of the whole word it belongs to (0 for special tokens)."""
    spans: dict[int, list[int]] = {}
    for w, (start, end) in zip(word_ids, offsets):
        if w is not None:
            spans.setdefault(w, [start, end])[1] = end
    return [0 if w is None else casing(text[spans[w][0]:spans[w][1]]) for w in word_ids]


def _token_scores(net, tokenizer, texts: list[str]) -> list[tuple[dict, int]]:
    """For each text, ({(start, end): (probabilities, word index)} for every word piece, each from the window
    where it sits farthest from an edge; its number of windows). The windows of all the texts share forward
    passes (a batch of visitors)."""
    import torch

    enc = tokenizer(texts, truncation=True, max_length=MAX_MODEL_TOKENS, stride=STRIDE,
                    return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors="pt")
    offsets = enc.pop("offset_mapping").tolist()
    owners = enc.pop("overflow_to_sample_mapping").tolist()
    words = [enc.word_ids(w) for w in range(len(offsets))]
    if getattr(net.config, "casing_feature", False):
        enc["token_type_ids"] = torch.tensor([word_cases(texts[owner], window, offs)
                                              for owner, window, offs in zip(owners, words, offsets)])
    probs = modeling.probabilities(net, enc, rows=BATCH_WINDOWS)
    best: list[dict[tuple[int, int], tuple[float, object, int]]] = [{} for _ in texts]
    for row, (owner, window, offs) in enumerate(zip(owners, words, offsets)):
        positions = [i for i, w in enumerate(window) if w is not None]
        for rank, i in enumerate(positions):
            margin = min(rank, len(positions) - 1 - rank)
            key = tuple(offs[i])
            if key not in best[owner] or margin > best[owner][key][0]:
                best[owner][key] = (margin, probs[row, i], window[i])
    return [({key: (p, w) for key, (_, p, w) in sorted(pieces.items())}, owners.count(n))
            for n, pieces in enumerate(best)]


def tag_words(token_lists: list[list[str]], model: str | None = None, batch_size: int = 32) -> list[list[str]]:
    """IOB2 tags for pre-split words (each word read by its first piece, the sentence decoded by `iob2_path`), as
    the checkpoint reads them: for scoring on CoNLL-style data. Words past the window are tagged O."""
    net, tokenizer = load(model)
    labels = label_names(net)
    use_casing = getattr(net.config, "casing_feature", False)
    out = []
    for start in range(0, len(token_lists), batch_size):
        chunk = [list(t) for t in token_lists[start:start + batch_size]]
        enc = tokenize_and_align({"tokens": chunk, "ner_tags": [[0] * len(t) for t in chunk]}, tokenizer,
                                 use_casing=use_casing)
        enc.pop("labels")
        word_ids = [enc.word_ids(i) for i in range(len(chunk))]
        batch = tokenizer.pad(dict(enc), return_tensors="pt")
        probs = modeling.probabilities(net, batch).numpy()
        for i, tokens in enumerate(chunk):
            word_probs = np.zeros((len(tokens), len(labels)))
            word_probs[:, labels.index("O")] = 1.0  # a word past the window
            seen = set()
            for j, w in enumerate(word_ids[i]):
                if w is not None and w not in seen:
                    seen.add(w)
                    word_probs[w] = probs[i, j]
            out.append([labels[k] for k in iob2_path(word_probs, labels)])
    return out


def predict(text: str, model: str | None = None) -> Output:
    """{"text", "entities": [{"entity_group", "score", "word", "start", "end"}]}: whole words, B-/I- runs of one
    type merged, score = mean probability of the entity's pieces (the pipeline's "simple" aggregation, with each
    word read by its first piece and the text's tags decoded together by `iob2_path`)."""
    return _tag([check(text)], model)[0]


def predict_batch(texts: list, model: str | None = None) -> list[Output]:
    """`predict` for a list of texts, their windows tagged in shared forward passes (the Space's batched event);
    a bad text gets an Output with `error` and does not fail the others."""
    return answer_batch(texts, check, lambda good: _tag(good, model))


def _tag(texts: list[str], model: str | None) -> list[Output]:
    net, tokenizer = load(model)
    labels = label_names(net)
    return [_entities(text, scores, n_windows, labels)
            for text, (scores, n_windows) in zip(texts, _token_scores(net, tokenizer, texts))]


def _entities(text: str, scores: dict, n_windows: int, labels: list[str]) -> Output:
    words: list[dict] = []  # one per word: its span and the probabilities of its pieces (the first decides)
    for (start, end), (p, word) in scores.items():
        if words and words[-1]["word"] == word:
            words[-1]["end"] = end
            words[-1]["pieces"].append(p)
        else:
            words.append({"word": word, "start": start, "end": end, "pieces": [p]})
    path = iob2_path([np.asarray(w["pieces"][0]) for w in words], labels)
    for w, label_id in zip(words, path):
        w["label"], w["scores"] = labels[label_id], [float(p[label_id]) for p in w["pieces"]]
    entities: list[dict] = []
    for w in words:
        if w["label"] == "O":
            continue
        prefix, kind = w["label"].split("-", 1)
        last = entities[-1] if entities else None
        if prefix == "I" and last and last["entity_group"] == kind and last["_next"] == w["word"]:
            last["end"], last["_scores"] = w["end"], last["_scores"] + w["scores"]
        else:
            entities.append({"entity_group": kind, "start": w["start"], "end": w["end"], "_scores": w["scores"]})
        entities[-1]["_next"] = w["word"] + 1
    for e in entities:
        scores_ = e.pop("_scores")
        e.pop("_next")
        e["score"] = sum(scores_) / len(scores_)
        e["word"] = text[e["start"]:e["end"]]
    out = Output({"text": text, "entities": entities})
    if n_windows > 1:
        out.notices.append(f"This text is {n_windows} windows of {MAX_MODEL_TOKENS} word pieces long; each was tagged "
                           f"and the windows overlap by {STRIDE} pieces.")
    return out
