"""Extractive question answering (course chapter 7.7, `pipeline("question-answering")`).

What training, evaluation and the Space share: the course's preprocessing (windows of MAX_MODEL_TOKENS with a
STRIDE of overlap, `return_overflowing_tokens`, offset mapping, windows without the answer labelled at [CLS])
and its postprocessing (the N_BEST start and end logits of every window of a context, spans of at most
MAX_ANSWER_TOKENS, the best score wins). The module follows the task contract of `shared.tasks`.
"""

from __future__ import annotations

import numpy as np

from shared import compute, hub
from shared.tasks import Output, answer_batch, check_text

TASK = "qa"
MAX_INPUT_CHARS = 20_000  # the context; about 12 windows
MAX_QUESTION_CHARS = 1_000
MAX_MODEL_TOKENS = 384  # one window: [CLS] question [SEP] part of the context [SEP]
STRIDE = 128  # context tokens shared by consecutive windows
N_BEST = 20
MAX_ANSWER_TOKENS = 30
BATCH_WINDOWS = 16  # windows per forward pass


def _tokenize(tokenizer, questions, contexts, max_length: int, stride: int, padding):
    return tokenizer([q.strip() for q in questions], contexts, max_length=max_length, truncation="only_second",
                     stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True, padding=padding)


def preprocess_train(examples: dict, tokenizer, max_length: int = MAX_MODEL_TOKENS, stride: int = STRIDE,
                     padding=False) -> dict:
    """datasets.map over {"question", "context", "answers"}: one row per window, with start/end positions of the
    first answer, or (0, 0) ([CLS]) when the window does not hold all of it. Unpadded by default: a collator
    pads each batch to its longest window (the course pads every window to 384; the logits are the same)."""
    inputs = _tokenize(tokenizer, examples["question"], examples["context"], max_length, stride, padding)
    offsets_all = inputs.pop("offset_mapping")
    sample_map = inputs.pop("overflow_to_sample_mapping")
    starts, ends = [], []
    for i, offsets in enumerate(offsets_all):
        answer = examples["answers"][sample_map[i]]
        start_char = answer["answer_start"][0]
        end_char = start_char + len(answer["text"][0])
        sequence_ids = inputs.sequence_ids(i)
        context_start = sequence_ids.index(1)
        context_end = len(sequence_ids) - 1 - sequence_ids[::-1].index(1)
        if offsets[context_start][0] > start_char or offsets[context_end][1] < end_char:
            starts.append(0)
            ends.append(0)
            continue
        idx = context_start
        while idx <= context_end and offsets[idx][0] <= start_char:
            idx += 1
        starts.append(idx - 1)
        idx = context_end
        while idx >= context_start and offsets[idx][1] >= end_char:
            idx -= 1
        ends.append(idx + 1)
    inputs["start_positions"], inputs["end_positions"] = starts, ends
    return inputs


def preprocess_eval(examples: dict, tokenizer, max_length: int = MAX_MODEL_TOKENS, stride: int = STRIDE,
                    padding="longest") -> dict:
    """datasets.map over {"id", "question", "context"}: one row per window, with its example_id and the offset
    mapping of its context tokens (None elsewhere), for `postprocess`."""
    inputs = _tokenize(tokenizer, examples["question"], examples["context"], max_length, stride, padding)
    sample_map = inputs.pop("overflow_to_sample_mapping")
    inputs["example_id"] = [examples["id"][s] for s in sample_map]
    inputs["offset_mapping"] = [[o if inputs.sequence_ids(i)[k] == 1 else None for k, o in enumerate(offsets)]
                                for i, offsets in enumerate(inputs["offset_mapping"])]
    return inputs


def postprocess(start_logits, end_logits, features, examples, n_best: int = N_BEST,
                max_answer_tokens: int = MAX_ANSWER_TOKENS) -> list[dict]:
    """[{"id", "prediction_text", "score", "start", "end"}] per example: the best span over all its windows.
    `start_logits[i]`/`end_logits[i]`: window i's logits (an array per window; windows may differ in length)."""
    by_example: dict[str, list[int]] = {}
    for i, example_id in enumerate(features["example_id"]):
        by_example.setdefault(example_id, []).append(i)
    out = []
    for example in examples:
        best = {"score": -np.inf, "text": "", "start": 0, "end": 0}
        for i in by_example.get(example["id"], []):
            offsets = features["offset_mapping"][i]
            starts = np.argsort(start_logits[i])[-1:-n_best - 1:-1]
            ends = np.argsort(end_logits[i])[-1:-n_best - 1:-1]
            for s in starts:
                for e in ends:
                    if (max(s, e) >= len(offsets) or offsets[s] is None or offsets[e] is None or e < s
                            or e - s + 1 > max_answer_tokens):
                        continue
                    score = float(start_logits[i][s] + end_logits[i][e])
                    if score > best["score"]:
                        a, b = offsets[s][0], offsets[e][1]
                        best = {"score": score, "text": example["context"][a:b], "start": a, "end": b}
        out.append({"id": example["id"], "prediction_text": best["text"], "score": best["score"],
                    "start": best["start"], "end": best["end"]})
    return out


# ------------------------------------------------------------------------------------------ serving

def check(question, context) -> tuple[str, str]:
    return (check_text(question, "question", max_chars=MAX_QUESTION_CHARS).strip(),
            check_text(context, "context", max_chars=MAX_INPUT_CHARS))


def load(model: str | None = None):
    """(model, tokenizer) for `model` or resolve("qa"); loaded once per process by shared.modeling."""
    from shared import modeling

    return modeling.load_classifier(hub.resolve(TASK, model), head="qa")


def predict(question: str, context: str, model: str | None = None) -> Output:
    """{"answer", "score", "start", "end"}: the best span of `context` over all its windows; score is the
    probability of that start and end (softmax over each window's context positions, as the pipeline does)."""
    return _answer([check(question, context)], model)[0]


def predict_batch(requests: list, model: str | None = None) -> list[Output]:
    """`predict` for a list of (question, context) pairs, their windows read in shared forward passes (the
    Space's batched event); a bad pair gets an Output with `error` and does not fail the others."""
    return answer_batch(requests, check, lambda good: _answer(good, model), unpack="(question, context)")


def _span_logits(net, batch: dict):
    """(start, end) logits in fp32 of every window of `batch`, BATCH_WINDOWS windows per forward pass."""
    import torch

    from shared.modeling import row_chunks

    with torch.inference_mode():
        outs = [net(**chunk) for chunk in row_chunks(batch, BATCH_WINDOWS)]
        return torch.cat([o.start_logits for o in outs]).float(), torch.cat([o.end_logits for o in outs]).float()


def _answer(requests: list[tuple[str, str]], model: str | None) -> list[Output]:
    import torch

    net, tokenizer = load(model)
    examples = [{"id": str(i), "question": q, "context": c} for i, (q, c) in enumerate(requests)]
    features = preprocess_eval({k: [e[k] for e in examples] for k in ("id", "question", "context")}, tokenizer)
    batch = {k: torch.tensor(features[k]) for k in ("input_ids", "attention_mask", "token_type_ids") if k in features}
    start, end = compute.run(_span_logits, net, batch)
    mask = torch.tensor([[o is None for o in offs] for offs in features["offset_mapping"]])
    start_p = start.masked_fill(mask, -1e9).softmax(-1).log().numpy()
    end_p = end.masked_fill(mask, -1e9).softmax(-1).log().numpy()
    results = []
    for best in postprocess(start_p, end_p, features, examples):
        result = Output({"answer": best["prediction_text"], "score": float(np.exp(best["score"])),
                         "start": best["start"], "end": best["end"]})
        windows = features["example_id"].count(best["id"])
        if windows > 1:
            result.notices.append(f"The context was read in {windows} overlapping windows of "
                                  f"{MAX_MODEL_TOKENS} tokens.")
        results.append(result)
    return results
