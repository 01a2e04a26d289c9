"""Train the tokenizer lab's Unigram tokenizer block by block (course chapter 6.8), on the Brown corpus.

    python -m training.tokenizer_lab                  # Unigram, 8,000 tokens, ~10 s
    python -m training.tokenizer_lab --kind WordPiece # or BPE: the same blocks as the lab's "train your own"
    python -m training.tokenizer_lab --smoke          # on training/smoke_data/brown

The course trains an XLNet-style Unigram tokenizer on WikiText-2; offline, the Brown corpus (1.16M words of
1961 American English in 15 genres, `shared.data.brown`) is the English text there is. Documents are split
90/10 by document (stratified by genre); the tokenizer learns from the 90% and is scored on the held-out 10%.
The blocks are `shared.tasks.tokenizer_lab.blocks`, the very code the Space's "train your own" runs. Training a
tokenizer is one pass of counting, not data-parallel: under `accelerate launch` with several processes the main
process does all the work and the others exit at once.

Scores on the held-out documents: tokens per word (fewer is a more efficient vocabulary for this text) and the
share of words it cuts into pieces, next to the two tokenizers the lab compares it with: BERT's WordPiece
(all-MiniLM-L6-v2's, 30,522 tokens) and GPT-2's byte-level BPE (50,257 tokens); and that decoding gives the
(normalized) text back.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from shared import hub
from shared.data import brown
from shared.tasks import tokenizer_lab as task
from training import common

SMOKE_DIR = common.SMOKE_DATA / "brown"
CARD = {"title": "A Unigram tokenizer trained block by block on the Brown corpus", "license": "mit",
        "datasets": ["brown"], "pipeline_tag": "token-classification", "task_name": "Tokenization",
        "tags": ["tokenizer", "unigram", "tokenizers"], "base_model": None, "library_name": "tokenizers"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-tokenizer-lab", hub_model_id=None, data_parallel=False)
    parser.add_argument("--kind", choices=task.KINDS, default="Unigram")
    parser.add_argument("--vocab-size", type=int, default=8_000)
    return parser


def words(text: str) -> list[str]:
    return text.split()


def score(tokenizer, texts: list[str]) -> dict:
    """Tokens per word, share of words split into several tokens, and round-trip exactness, on `texts`."""
    n_words = n_tokens = n_split = exact = 0
    for text in texts:
        ws = words(text)
        pieces = tokenizer(ws, is_split_into_words=True, add_special_tokens=False)
        n_words += len(ws)
        n_tokens += len(pieces["input_ids"])
        counts = {}
        for w in pieces.word_ids():
            counts[w] = counts.get(w, 0) + 1
        n_split += sum(c > 1 for c in counts.values())
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        normalizer = tokenizer.backend_tokenizer.normalizer
        target = normalizer.normalize_str(text) if normalizer else text
        exact += " ".join(tokenizer.decode(ids).split()) == " ".join(target.split())
    return {"tokens_per_word": n_tokens / n_words, "split_word_share": n_split / n_words,
            "round_trip": exact / len(texts), "words": n_words}


def main(argv: list[str] | None = None) -> dict:
    args = common.parse_args(build_parser(), argv)
    folder = Path(args.output_dir)
    if args.card_only:
        return common.rewrite(folder, "tokenizer_lab")
    started = time.time()
    data = brown.load_brown(SMOKE_DIR if args.smoke else None, dev_fraction=0.9, seed=args.seed)
    train, test = list(data["dev"]["text"]), list(data["test"]["text"])
    if args.smoke:
        args.vocab_size = min(args.vocab_size, 400)
    tokenizer, info = task.build("\n".join(train), args.kind, args.vocab_size)
    tokenizer.save_pretrained(folder)
    from transformers import AutoTokenizer

    reloaded = AutoTokenizer.from_pretrained(folder)  # scored as the Space loads it
    scores = {f"{args.kind} trained here": score(reloaded, test)}
    for name, where in (("WordPiece (all-MiniLM-L6-v2)", hub.MINILM), ("byte-level BPE (GPT-2)", hub.GPT2)):
        scores[name] = score(AutoTokenizer.from_pretrained(hub.base_model_path(where)), test)
    for name, s in scores.items():
        print(f"{name:32} {s['tokens_per_word']:.3f} tokens/word, {s['split_word_share']:.1%} words split, "
              f"round trip {s['round_trip']:.1%}", flush=True)
    ours, bert = scores[f"{args.kind} trained here"], scores["WordPiece (all-MiniLM-L6-v2)"]
    example = task.inspect(task.EXAMPLE, reloaded)
    metrics = {"task": task.TASK, "smoke": args.smoke, "base_model": None, "build": info, "scores": scores,
               "data": {"train_passages": len(train), "test_passages": len(test)}, "example": example,
               "example_text": task.EXAMPLE, "seconds": round(time.time() - started, 1),
               "environment": common.environment(), "card": CARD, "data_description": f"{brown.SOURCE}. {brown.LICENSE}.",
               "results": [{"split": f"held-out Brown documents ({ours['words']:,} words)", "metric": "tokens per word",
                            "value": ours["tokens_per_word"], "baseline": "WordPiece of all-MiniLM-L6-v2 (30,522)",
                            "baseline_value": bert["tokens_per_word"], "dataset_id": "brown", "lower_is_better": True}]}
    common.finish(args, metrics, card="tokenizer_lab")
    print(json.dumps(info), flush=True)
    return metrics


if __name__ == "__main__":
    main()
