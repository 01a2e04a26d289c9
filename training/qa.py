"""Fine-tune an extractive question-answering model (course chapter 7.7) on SQuAD-Shifts; evaluate on SQuAD dev.

    python -m training.qa                          # all-MiniLM-L6-v2, full fine-tune; about 1 h/epoch on 2 CPUs
    python -m training.qa --resume                 # continue from the last checkpoint (saved every --save-steps)
    python -m training.qa --smoke                  # overfit one batch of training/smoke_data/pairs in seconds
    python -m training.qa --rescore --output-dir checkpoints/qa    # re-measure the folder as the Space reads it
    python -m training.qa --preset course          # bert-base-cased on the Hub's SQuAD (network, GPU)

The course's recipe: windows of 384 tokens with a stride of 128, answers located with the offset mapping
(windows without the whole answer point at [CLS]) and the course's postprocessing (n-best 20, answers of at
most 30 tokens, over every window of a context), all from shared.tasks.qa. Two changes that only buy speed:
each batch is padded to its longest window rather than to 384 (the logits of real tokens are unchanged), and
windows of similar length are batched together (`train_sampling_strategy="group_by_length"`); on a CPU with native bf16 (avx512_bf16,
AMX) the matrix products run in bf16 autocast. SQuAD exact match / F1 (shared.metrics.squad) on the SQuAD v1.1
dev set, next to a baseline on the same questions: the context sentence sharing the most words with the
question.
"""

from __future__ import annotations

import argparse
import re
import time

from shared import hub
from shared.data import squad as squad_data
from shared.metrics import squad
from shared.tasks import qa
from training import classification, common

SMOKE_FILE = common.SMOKE_DATA / "pairs" / "squad_tiny.json"
# --smoke fine-tunes every weight: at common.SMOKE_LR (2e-3, set for LoRA) the one-batch loss jumped about and halved
# only by luck (5.0 -> 0.72 on one process, 5.0 -> 4.3 on two); at 5e-4 it fell to 0.01 and 0.23
SMOKE_LR = 5e-4
COURSE_PRESET = {"model": "bert-base-cased", "dataset": "squad", "lr": 2e-5, "epochs": 3, "batch_size": 8,
                 "method": "full"}
COURSE_REFERENCE = {"model": "bert-base-cased", "parameters": 108_000_000, "train_questions": 87_599, "epochs": 3,
                    "exact_match": 81.2, "f1": 88.7}  # chapter 7.7, on the same dev set
CARD = {"title": "MiniLM extractive question answering (SQuAD-Shifts)", "license": "cc-by-sa-4.0",
        "datasets": ["rajpurkar/squad", "squadshifts"], "pipeline_tag": "question-answering",
        "task_name": "Extractive question answering", "tags": ["question-answering", "squad"]}
DATA_DESCRIPTION = (
    "Trained on SQuAD-Shifts (Miller et al. 2020: crowd-sourced questions on new Wikipedia articles, New York "
    "Times articles, Reddit posts and Amazon reviews, CC BY 4.0), 5% of its articles held out as validation; "
    "evaluated on the SQuAD v1.1 dev set (CC BY-SA 4.0), the course's evaluation split, never trained on. Both "
    "are read from the SQuAD-format JSON files inside the `bigbench` sdist (`shared/data/squad.py`).")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-qa", hub_model_id=hub.HUB_IDS.get("qa"))
    common.add_training_args(parser, epochs=2, lr=1e-4, batch_size=16, max_length=qa.MAX_MODEL_TOKENS)
    classification.add_args(parser, lora_r=16)
    parser.set_defaults(method="full")
    parser.add_argument("--save-steps", type=int, default=300, help="checkpoint every N steps (a few minutes)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--max-eval", type=int, default=None, help="score only the first N dev questions")
    return parser


def load_data(args):
    """train / validation / test: the project's SQuAD files, one small file (--smoke), or a Hub dataset with
    train and validation splits (--dataset squad; its validation is the test split)."""
    if args.dataset and not args.smoke:
        import datasets

        hub_data = datasets.load_dataset(args.dataset)
        return datasets.DatasetDict(train=hub_data["train"], validation=hub_data["validation"],
                                    test=hub_data["validation"])
    with common.clear_errors("loading the SQuAD files", "Run once with the package registries reachable."):
        return squad_data.load(SMOKE_FILE if args.smoke else None, seed=args.seed)


def evaluate(model, tokenizer, examples, batch_size: int = 64) -> list[dict]:
    """Predictions for `examples` (id, question, context) through the shared pre/postprocessing; windows are
    sorted by length and each batch padded to its longest (the same logits as padding every window to 384)."""
    import numpy as np
    import torch
    from tqdm.auto import tqdm

    features = examples.map(qa.preprocess_eval, batched=True, remove_columns=examples.column_names,
                            fn_kwargs={"tokenizer": tokenizer, "padding": False})
    columns = [c for c in ("input_ids", "attention_mask", "token_type_ids") if c in features.column_names]
    order = np.argsort([len(ids) for ids in features["input_ids"]], kind="stable")
    starts, ends = [None] * len(features), [None] * len(features)
    model.eval()
    with torch.inference_mode():
        for i in tqdm(range(0, len(order), batch_size), desc="evaluating", unit="batch"):
            rows = [int(j) for j in order[i:i + batch_size]]
            batch = tokenizer.pad({c: features.select(rows)[c] for c in columns}, return_tensors="pt")
            out = model(**batch)
            for k, j in enumerate(rows):
                n = len(features[j]["input_ids"])
                starts[j] = out.start_logits[k, :n].float().numpy()
                ends[j] = out.end_logits[k, :n].float().numpy()
    return qa.postprocess(starts, ends, features, examples)


def overlap_baseline(examples) -> list[dict]:
    """A reading-free baseline, scored on the same questions: the context sentence sharing the most words (of
    more than 3 letters) with the question."""
    predictions = []
    for ex in examples:
        words = {w.lower() for w in re.findall(r"\w+", ex["question"]) if len(w) > 3}
        sentences = re.split(r"(?<=[.!?])\s+", ex["context"])
        best = max(sentences, key=lambda s: len(words & {w.lower() for w in re.findall(r"\w+", s)}))
        predictions.append({"id": ex["id"], "prediction_text": best})
    return predictions


def score(folder, test) -> dict:
    """EM/F1 of the saved folder (loaded as the Space loads it) and of the overlap baseline on `test`."""
    from shared import modeling

    model, tokenizer = modeling.load_classifier(folder, head="qa")
    references = [{"id": ex["id"], "answers": ex["answers"]} for ex in test]
    model_scores = squad.compute(evaluate(model, tokenizer, test), references)
    baseline = squad.compute(overlap_baseline(test), references)
    print(f"SQuAD dev ({len(test):,} questions): EM {model_scores['exact_match']:.1f} F1 {model_scores['f1']:.1f}; "
          f"overlap baseline EM {baseline['exact_match']:.1f} F1 {baseline['f1']:.1f}", flush=True)
    return {"model": model_scores, "baseline": baseline, "questions": len(test)}


def results(test: dict) -> list[dict]:
    split = f"SQuAD v1.1 dev ({test['questions']:,} questions)"
    return [{"split": split, "metric": metric, "value": test["model"][metric],
             "baseline": "the sentence with the most question words", "baseline_value": test["baseline"][metric],
             "dataset_id": "rajpurkar/squad"} for metric in ("f1", "exact_match")]


def test_split(args, data):
    test = data["test"]
    return test if args.max_eval is None else test.select(range(min(args.max_eval, len(test))))


def rescore(args) -> dict:
    """Re-measure the finished folder OUTPUT_DIR through the Space's code path; rewrite metrics.json and card."""
    metrics = common.read_metrics(args.output_dir)
    args.seed = metrics["hyperparameters"]["seed"]
    args.max_eval = args.max_eval or metrics.get("max_eval")
    metrics["test"] = score(args.output_dir, test_split(args, load_data(args)))
    metrics.update(results=results(metrics["test"]), data_description=DATA_DESCRIPTION,
                   card={**CARD, "base_model": metrics["base_model"]}, course_reference=COURSE_REFERENCE,
                   rescored="test scores re-measured from the saved folder with --rescore (shared.tasks.qa)")
    return common.rewrite(args.output_dir, "qa", metrics)


def main(argv: list[str] | None = None) -> dict:
    import transformers
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    args = common.parse_args(build_parser(), argv, course=COURSE_PRESET)
    if args.rescore:
        return rescore(args)
    if args.card_only:
        return common.rewrite(args.output_dir, "qa")
    transformers.set_seed(args.seed)
    started = time.time()
    tokenizer = classification.load_tokenizer(args.model)
    with common.main_process_first():  # the builder caches its download; map may write cache files
        data = load_data(args)
        train = data["train"].map(qa.preprocess_train, batched=True, remove_columns=data["train"].column_names,
                                  fn_kwargs={"tokenizer": tokenizer, "max_length": args.max_length,
                                             "stride": min(qa.STRIDE, args.max_length // 3)})
    print({k: len(v) for k, v in data.items()}, flush=True)
    model = classification.build_classifier(args.model, ["start", "end"], method=args.method, lora_r=args.lora_r,
                                            head="qa", freeze_embeddings=True)
    if args.smoke:
        train = common.smoke_slice(train)
    pre = classification.preflight(model, tokenizer, train, num_labels=None, max_length=args.max_length,
                                   label_columns=("start_positions", "end_positions"))
    dev = classification.settings(args)
    print(f"device {dev['device']}, {common.precision_name(dev)}; {len(train):,} training windows", flush=True)
    targs = TrainingArguments(
        output_dir=str(common.checkpoints_dir(args.output_dir)),
        num_train_epochs=common.SMOKE_STEPS if args.smoke else args.epochs,
        learning_rate=SMOKE_LR if args.smoke else args.lr,
        per_device_train_batch_size=common.per_process_batch(min(args.batch_size, len(train))),
        train_sampling_strategy="random" if args.smoke else "group_by_length",
        lr_scheduler_type="constant" if args.smoke else "linear", warmup_steps=0 if args.smoke else 0.06,
        weight_decay=0.0 if args.smoke else 0.01, logging_steps=1 if args.smoke else 50, logging_first_step=True,
        save_strategy="no" if args.smoke else "steps", save_steps=args.save_steps, save_total_limit=2,
        **common.trainer_options(args, dev))
    trainer = Trainer(model=model, args=targs, train_dataset=train, data_collator=DataCollatorWithPadding(tokenizer),
                      processing_class=tokenizer)
    if args.smoke:
        before = trainer.evaluate(train)["eval_loss"]
        trainer.train()
        after = trainer.evaluate(train)["eval_loss"]
        common.check_smoke(before, after, len(train), trainer.state.global_step)
    else:
        trainer.train(resume_from_checkpoint=common.resume_checkpoint(args))
    if not common.is_main_process():  # the rest is the main process's alone
        return {}
    common.save_model(trainer.model, tokenizer, args.output_dir, base_model=args.model,
                      half=args.method == "full")

    test = score(args.output_dir, test_split(args, data))
    metrics = {"task": qa.TASK, "base_model": args.model, "method": args.method, "smoke": args.smoke,
               "test": test, "data": {k: len(v) for k, v in data.items()}, "train_windows": len(train),
               "max_eval": args.max_eval, "course_reference": COURSE_REFERENCE, "preflight": pre,
               "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                                   "lora_r": args.lora_r, "seed": args.seed, "max_length": args.max_length,
                                   "stride": qa.STRIDE, "n_best": qa.N_BEST, "max_answer_tokens": qa.MAX_ANSWER_TOKENS,
                                   "precision": common.precision_name(dev)},
               "trainable_parameters": classification.trainable_parameters(trainer.model)[0],
               "parameters": classification.trainable_parameters(trainer.model)[1],
               "train_seconds": round(time.time() - started, 1), "environment": common.environment(),
               "data_description": DATA_DESCRIPTION, "card": {**CARD, "base_model": args.model},
               "results": results(test)}
    common.finish(args, metrics, card="qa", log_history=trainer.state.log_history, metric="f1",
                  title=CARD["title"])
    return metrics


if __name__ == "__main__":
    main()
