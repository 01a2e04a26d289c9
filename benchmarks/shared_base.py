"""One MiniLM in memory for every encoder task, against a merged copy per task: memory and speed.

    python benchmarks/shared_base.py [--threads 1]

Seven models read all-MiniLM-L6-v2: sentiment, sentence pairs, both fill-mask checkpoints (LoRA adapters), NER
and QA (full fine-tunes that kept the word embeddings frozen) and the sentence encoder of zero-shot and search.
For each setup, in a fresh process: load all seven as the Spaces do (`shared.tasks.*.load`), then report
- the bytes of distinct parameter storage across the seven (what sharing saves, exactly),
- the process's RSS growth from loading them (psutil; allocator slack included),
- ms per text for sentiment on 1 text and on a batch of 16, and for NER on 1 text (p50 of repeated calls).
Setups: merged copies (each adapter merged into its own copy of the base, nothing shared: the old way), the
shared base with adapters kept apart (NLP_COURSE_MERGE_ADAPTERS=0: the whole base shared), and merged + shared
(the Spaces' default: adapters merged, every tensor still equal to the base's pointed to one copy), at fp32 and
bf16; and int8 (merged and quantized per task, embeddings shared). Prints a markdown table with the CPU model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shared.modeling import cpu_model  # noqa: E402

SETUPS = {  # name: (NLP_COURSE_PRECISION, merge adapters, share the base)
    "merged copies, fp32": ("fp32", True, False),
    "adapters apart, whole base shared, fp32": ("fp32", False, True),
    "merged copies, bf16": ("bf16", True, False),
    "adapters apart, whole base shared, bf16": ("bf16", False, True),
    "merged + shared (default), fp32": ("fp32", True, True),
    "merged + shared (default), bf16": ("bf16", True, True),
    "merged + int8 per task, embeddings shared": ("int8", True, True),
}
TEXT = "The first hour drags, but the last thirty minutes are as tense as anything I've seen this year."
NER_TEXT = "Angela Merkel met Emmanuel Macron in Paris to discuss the future of Airbus and the European Union."


def measure(precision: str, merge: bool, share: bool, threads: int) -> dict:
    """Runs in the child process."""
    import psutil
    import torch

    torch.set_num_threads(threads)
    os.environ["NLP_COURSE_PRECISION"] = precision
    os.environ["NLP_COURSE_MERGE_ADAPTERS"] = "1" if merge else "0"
    from shared import embeddings, modeling
    from shared.tasks import fill_mask, ner, pair_classification, qa, sentiment

    if not share:
        modeling.share_base = lambda *args: 0
    process = psutil.Process()
    before = process.memory_info().rss
    models = [sentiment.load()[0], pair_classification.load()[0], ner.load()[0], qa.load()[0],
              fill_mask.load(variant="adapted")[0], fill_mask.load(variant="general")[0], embeddings.get_encoder()]
    loaded = process.memory_info().rss
    storages = {}
    for model in models:
        for p in list(model.parameters()) + list(model.buffers()):
            storages[p.untyped_storage().data_ptr()] = p.untyped_storage().nbytes()
        for m in model.modules():  # int8 Linear layers keep their weights in packed params, not parameters
            if isinstance(m, torch.ao.nn.quantized.dynamic.Linear):
                weight, bias = m.weight(), m.bias()
                storages[id(m)] = weight.int_repr().numel() + (bias.numel() * 4 if bias is not None else 0)

    def p50(call, repeats):
        call()
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    return {"params_mb": sum(storages.values()) / 2**20, "rss_mb": (loaded - before) / 2**20,
            "sentiment_1": p50(lambda: sentiment.predict_batch([TEXT]), 200),
            "sentiment_16": p50(lambda: sentiment.predict_batch([TEXT] * 16), 30) / 16,
            "ner_1": p50(lambda: ner.predict(NER_TEXT), 100)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as the Spaces run)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(*json.loads(args.child), threads=args.threads)))
        return
    import torch

    print(f"{cpu_model()}, {os.cpu_count()} CPUs, {args.threads} torch thread(s), torch {torch.__version__}\n")
    print("| setup | distinct parameter MiB | RSS growth MiB | sentiment ms, 1 text | sentiment ms/text, "
          "batch of 16 | NER ms, 1 text |")
    print("|---|---:|---:|---:|---:|---:|")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    for name, setup in SETUPS.items():
        out = subprocess.run([sys.executable, __file__, "--threads", str(args.threads), "--child", json.dumps(setup)],
                             capture_output=True, text=True, env=env, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"| {name} | {r['params_mb']:.0f} | {r['rss_mb']:.0f} | {r['sentiment_1']:.1f} | "
              f"{r['sentiment_16']:.2f} | {r['ner_1']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
