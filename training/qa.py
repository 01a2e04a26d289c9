"""Fine-tune an extractive question-answering model (course chapter 7.7) on SQuAD-Shifts; evaluate on SQuAD dev.

    python -m training.qa                          # LoRA on all-MiniLM-L6-v2; hours on 2 CPUs: resumable
    python -m training.qa --resume                 # continue from the last checkpoint (saved every --save-steps)
    python -m training.qa --smoke                  # overfit one batch of training/smoke_data/pairs in seconds

The course's recipe: windows of 384 tokens with a stride of 128, answers located with the offset mapping
(windows without the whole answer point at [CLS]), `default_data_collator`, and the course's postprocessing
(n-best 20, answers of at most 30 tokens, over every window of a context), all from shared.tasks.qa.
SQuAD exact match / F1 (shared.metrics.squad) on the SQuAD v1.1 dev set, next to a baseline on the same
questions: the context sentence sharing the most words with the question, its best-overlapping span.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from shared import hub
from shared.data import squad as squad_data
from shared.metrics import squad
from shared.tasks import qa
from training import classification, common

SMOKE_FILE = common.SMOKE_DATA / "pairs" / "squad_tiny.json"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-qa", hub_model_id=hub.HUB_IDS.get("qa"))
    common.add_training_args(parser, epochs=2, lr=1e-3, batch_size=16, max_length=qa.MAX_MODEL_TOKENS)
    classification.add_args(parser, lora_r=16)
    parser.add_argument("--save-steps", type=int, default=100, help="checkpoint every N steps (a few minutes)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--max-eval", type=int, default=None, help="score only the first N dev questions")
    return parser


def evaluate(model, tokenizer, examples, batch_size: int = 32, **windows) -> list[dict]:
    """Predictions for `examples` (id, question, context) through the shared pre/postprocessing."""
    import torch
    from tqdm.auto import tqdm

    features = examples.map(qa.preprocess_eval, batched=True, remove_columns=examples.column_names,
                            fn_kwargs={"tokenizer": tokenizer, **windows})
    columns = [c for c in ("input_ids", "attention_mask", "token_type_ids") if c in features.column_names]
    starts, ends = [], []
    model.eval()
    with torch.inference_mode():
        for i in tqdm(range(0, len(features), batch_size), desc="evaluating", unit="batch"):
            batch = {c: torch.tensor(features[i:i + batch_size][c]) for c in columns}
            out = model(**batch)
            starts.append(out.start_logits.float().numpy())
            ends.append(out.end_logits.float().numpy())
    return qa.postprocess(np.concatenate(starts), np.concatenate(ends), features, examples)


def overlap_baseline(examples) -> list[dict]:
    """The context sentence with the most question words; in it, the shortest span between two of those words
    (or the whole sentence). A reading-free baseline, scored on the same questions."""
    import re

    predictions = []
    for ex in examples:
        words = {w.lower() for w in re.findall(r"\w+", ex["question"]) if len(w) > 3}
        sentences = re.split(r"(?<=[.!?])\s+", ex["context"])
        best = max(sentences, key=lambda s: len(words & {w.lower() for w in re.findall(r"\w+", s)}))
        predictions.append({"id": ex["id"], "prediction_text": best})
    return predictions


def main(argv: list[str] | None = None) -> dict:
    import torch
    import transformers
    from transformers import Trainer, TrainingArguments, default_data_collator

    args = common.parse_args(build_parser(), argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    transformers.set_seed(args.seed)
    started = time.time()
    with common.clear_errors("loading the SQuAD files", "Run once with the package registries reachable."):
        data = squad_data.load(SMOKE_FILE if args.smoke else None, seed=args.seed)
    print({k: len(v) for k, v in data.items()}, flush=True)
    tokenizer = classification.load_tokenizer(args.model)
    model = classification.build_classifier(args.model, ["start", "end"], method=args.method, lora_r=args.lora_r,
                                            head="qa")
    windows = {"tokenizer": tokenizer, "max_length": args.max_length, "stride": min(qa.STRIDE, args.max_length // 3)}
    train = data["train"].map(qa.preprocess_train, batched=True, remove_columns=data["train"].column_names,
                              fn_kwargs=windows)
    if args.smoke:
        train = common.smoke_slice(train)
    dev = common.device_settings()
    targs = TrainingArguments(
        output_dir=str(common.checkpoints_dir(args.output_dir)), report_to="none", seed=args.seed,
        num_train_epochs=common.SMOKE_STEPS if args.smoke else args.epochs,
        learning_rate=common.SMOKE_LR if args.smoke else args.lr,
        per_device_train_batch_size=min(args.batch_size, len(train)),
        lr_scheduler_type="constant" if args.smoke else "linear", warmup_steps=0 if args.smoke else 0.06,
        weight_decay=0.0 if args.smoke else 0.01, logging_steps=1 if args.smoke else 20, logging_first_step=True,
        save_strategy="no" if args.smoke else "steps", save_steps=args.save_steps, save_total_limit=2,
        bf16=dev["bf16"], fp16=dev["fp16"], use_cpu=dev["use_cpu"], dataloader_num_workers=0)
    trainer = Trainer(model=model, args=targs, train_dataset=train, data_collator=default_data_collator,
                      processing_class=tokenizer)
    if args.smoke:
        before = trainer.evaluate(train)["eval_loss"]
        trainer.train()
        after = trainer.evaluate(train)["eval_loss"]
        common.check_smoke(before, after, len(train), trainer.state.global_step)
    else:
        trainer.train(resume_from_checkpoint=common.resume_checkpoint(args))
    common.save_model(trainer.model, tokenizer, args.output_dir, base_model=args.model)

    test = data["test"] if args.max_eval is None else data["test"].select(range(min(args.max_eval, len(data["test"]))))
    references = [{"id": ex["id"], "answers": ex["answers"]} for ex in test]
    scores = squad.compute(evaluate(trainer.model, tokenizer, test, **{k: v for k, v in windows.items()
                                                                       if k != "tokenizer"}), references)
    baseline = squad.compute(overlap_baseline(test), references)
    print(f"SQuAD dev ({len(test)} questions): EM {scores['exact_match']:.1f} F1 {scores['f1']:.1f}; "
          f"overlap baseline EM {baseline['exact_match']:.1f} F1 {baseline['f1']:.1f}", flush=True)
    metrics = {"task": qa.TASK, "base_model": args.model, "smoke": args.smoke, "test": scores, "baseline": baseline,
               "data": {k: len(v) for k, v in data.items()}, "test_questions": len(test),
               "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                                   "lora_r": args.lora_r, "seed": args.seed, "max_length": qa.MAX_MODEL_TOKENS,
                                   "stride": qa.STRIDE},
               "train_seconds": round(time.time() - started, 1), "environment": common.environment()}
    common.write_metrics(args.output_dir, metrics)
    return metrics


if __name__ == "__main__":
    main()
