"""Train a code-writing GPT-2 from scratch (course chapter 7.6), with its own tokenizer (chapter 6.2).

    python -m training.code_generation                       # tokenizer + GPT-2 on data-science Python, ~1 h on 2 CPUs
    python -m training.code_generation --keytoken-weight 1   # the course's keyword-weighted loss
    python -m training.code_generation --smoke               # overfit one batch of training/smoke_data/code
    python -m training.code_generation --resume              # continue from the last checkpoint (saved every 5 min)
    python -m training.code_generation --rescore --output-dir checkpoints/code_generation
    python -m training.code_generation --preset course       # the course's size on codeparrot-ds (network, GPU)

Data: `shared.data.code` (the .py files of the numpy, pandas, scikit-learn, matplotlib and seaborn sdists,
cleaned and split by file as CodeParrot's preprocessing does, then reduced to code: docstrings and prose comment
blocks out, short comments kept, the docstrings' doctest examples kept as scripts of their own; `--keep-prose`
trains on whole files as CodeParrot does). Nine tenths of those characters are the libraries' own modules; the
course's prompts ask for code that *uses* them, like the gallery scripts and doc examples, so `--usage-weight N`
repeats that usage code N times in the training windows. The tokenizer is GPT-2's
byte-level BPE retrained on the training split with `train_new_from_iterator`, as chapter 6 does. Files are
joined with the end-of-text token and cut into windows of `--context` tokens (run_clm's `group_texts`: nothing
is padded or thrown away; the course's `return_overflowing_tokens` drops each file's short tail instead).

The model is `GPT2LMHeadModel` from a config, trained by the course's `accelerate` loop: AdamW, warm-up then
cosine decay, gradient accumulation, gradient clipping, evaluation by perplexity on the validation split every
`--eval-every` steps, optionally the course's keyword-weighted loss (`--keytoken-weight`). Sizes: the course
trains 124M parameters on 606,720 files with a GPU; here the budget is about an hour of 2 CPU cores (~6,000
tokens/s in bf16 autocast, about 23M training tokens). For that budget the compute-optimal model is a few million
parameters (Chinchilla: ~20 tokens per parameter), so the default is 6 layers x 256 wide (6.9M parameters, 2.1M
of them the 8,192-token embedding, tied with the output layer) and a context of 256 tokens: ~1,000 characters of
code, room for a prompt and the block it asks for. The code (5.4M tokens) is seen about four times, which costs
little against fresh data (Muennighoff et al. 2023).

Scores: perplexity on the held-out test files, next to a baseline on the same tokens and windows: an
interpolated Kneser-Ney trigram model on the training tokens; and the completions of the course's prompts
through the Space's code path (`shared.tasks.code_generation.predict`, greedy), checked with `ast.parse`
and for the call the comment asks for.

The hour holds on a CPU with native bf16 (AVX512-BF16 or AMX). Elsewhere the loop runs in fp32: on an AMD EPYC
with AVX2 only, the default model trained at 1,411 tokens/s (5.8 s a step of 32 x 256), so the default run takes
about 4.5 hours there, and a 17.4M-parameter model (8 layers x 384) 598 tokens/s.

Tried and not kept: continuing the shipped model on the usage code alone (gallery scripts and doc examples, 300
steps of 32 windows, lr 3e-4 after 20 warm-up steps, cosine; 22 minutes on that EPYC). Validation perplexity on
the usage files went from 8.02 to 7.86, and on all validation files from 11.98 to 14.56. Greedy completions of
the course's prompts made the asked call in 2 of 4 (DataFrame, RandomForestRegressor), against 0. Sampled at
temperature 0.7: 12 of 40 samples (10 seeds per prompt), against 16 of 80 (20 seeds), and groupby stayed at 0.
That is a small gain bought with the library code, so the checkpoint stays the one trained in a single stage.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter, defaultdict
from pathlib import Path

import torch

from shared import hub
from shared.data import code
from shared.tasks import code_generation as task
from training import common

SMOKE_SDIST = common.SMOKE_DATA / "code" / "seaborn-examples-0.13.2.tar.gz"
CARD = {"title": "A small GPT-2 for data-science Python, trained from scratch", "license": "bsd-3-clause",
        "datasets": ["codeparrot/codeparrot-ds-train"], "pipeline_tag": "text-generation",
        "task_name": "Causal Language Modeling", "tags": ["code", "gpt2", "python", "from-scratch"], "base_model": None}
SMOKE_LR, SMOKE_STEPS = 1e-2, 40  # from random weights, a tiny model needs more and bigger steps than fine-tuning
COURSE_PRESET = {"dataset": "huggingface-course/codeparrot-ds-train", "vocab_size": 50_000, "n_layer": 12,
                 "n_embd": 768, "context": 128, "batch_size": 32, "grad_accum": 8, "lr": 5e-4, "max_steps": 0,
                 "epochs": 1, "keytoken_weight": 1.0}
COURSE_REFERENCE = {"parameters": 124_000_000, "context": 128, "training_files": 606_720, "vocab_size": 50_000}
EXTRA_PROMPTS = [  # more of the same kind, written for this project (what a comment asks -> the call that does it)
    ("import matplotlib.pyplot as plt\nimport numpy as np\n\nx = np.linspace(0, 10, 100)\n\n# plot sin(x)\n",
     ["plot", "sin"]),
    ("import numpy as np\nimport matplotlib.pyplot as plt\n\ndata = np.random.randn(1000)\n\n# plot a histogram of "
     "data with 30 bins\n", ["hist"]),
    ("from sklearn.model_selection import train_test_split\n\n# split X and y into train and test sets\n",
     ["train_test_split"]),
    ("import pandas as pd\n\n# read the csv file data.csv\n", ["read_csv"]),
    ("from sklearn.linear_model import LogisticRegression\n\n# fit a logistic regression on X_train, y_train\n",
     ["LogisticRegression", "fit"]),
    ("import numpy as np\n\n# create a 3x3 identity matrix\n", ["eye"]),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-code-generation",
                           hub_model_id=hub.HUB_IDS.get("code_generation"))
    g = parser.add_argument_group("training options")
    g.add_argument("--dataset", default=None, help="a Hub dataset id with a `content` column (needs network) "
                   "instead of the project's own corpus")
    g.add_argument("--keep-prose", action="store_true", help="train on whole files, docstrings and prose comment "
                   "blocks included, as CodeParrot does (default: the files reduced to code, see shared.data.code)")
    g.add_argument("--no-doc-examples", action="store_true", help="leave out the docstrings' doctest examples "
                   "(kept by default as scripts of their own: how the libraries are used)")
    g.add_argument("--usage-weight", type=int, default=3, help="repeat the usage code of the training split (gallery "
                   "scripts and doc examples) N times in all; library modules once")
    g.add_argument("--tokenizer", default=None, help="reuse this tokenizer folder instead of training one")
    g.add_argument("--vocab-size", type=int, default=8_192)
    g.add_argument("--n-layer", type=int, default=6)
    g.add_argument("--n-embd", type=int, default=256, help="width; heads = width / 64")
    g.add_argument("--context", type=int, default=task.MAX_MODEL_TOKENS, help="tokens per training window")
    g.add_argument("--batch-size", type=int, default=32)
    g.add_argument("--grad-accum", type=int, default=1, help="gradient accumulation steps")
    g.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (warm-up, then cosine decay)")
    g.add_argument("--warmup", type=int, default=200, help="warm-up steps")
    g.add_argument("--weight-decay", type=float, default=0.1)
    g.add_argument("--dropout", type=float, default=0.0, help="GPT-2's dropouts (0, as nanoGPT pretrains: the data "
                   "is seen only a few times)")
    g.add_argument("--max-steps", type=int, default=2_800, help="optimizer steps (0: --epochs passes instead)")
    g.add_argument("--epochs", type=float, default=1)
    g.add_argument("--eval-every", type=int, default=500, help="validation perplexity every N steps")
    g.add_argument("--save-minutes", type=float, default=5, help="a resumable checkpoint every N minutes")
    g.add_argument("--keytoken-weight", type=float, default=0.0,
                   help="the course's keyword-weighted loss: samples weighted by 1 + W x (share of key tokens "
                        f"{', '.join(task.KEYTOKENS)}); 0: the plain loss")
    g.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    g.add_argument("--resume", action="store_true", help="continue from OUTPUT_DIR/checkpoints")
    g.add_argument("--preset", choices=["local", "course"], default="local",
                   help="course: the course's model size and codeparrot-ds (needs network, wants a GPU)")
    return parser


# ---------------------------------------------------------------------------------------------- data

def load_corpus(args):
    import datasets

    if args.smoke:
        corpus = code.build(sdists=[SMOKE_SDIST], prose=args.keep_prose, with_examples=not args.no_doc_examples)
        everything = datasets.concatenate_datasets(list(corpus.values()))
        return datasets.DatasetDict({side: everything for side in ("train", "validation", "test")})
    if args.dataset:  # e.g. the course's codeparrot-ds-train: one split, cut here into train / validation / test
        with common.clear_errors(f"loading {args.dataset}"):
            data = datasets.load_dataset(args.dataset)
        if "test" not in data:
            held = data["train"].train_test_split(test_size=0.1, seed=args.seed)
            halves = held["test"].train_test_split(test_size=0.5, seed=args.seed)
            data = datasets.DatasetDict(train=held["train"], validation=halves["train"], test=halves["test"])
        return data
    with common.clear_errors("building the code corpus", "It downloads five sdists from PyPI once."):
        return code.load(prose=args.keep_prose, with_examples=not args.no_doc_examples)


def weigh_usage(train, weight: int):
    """The training files with the usage code (gallery scripts, doc examples) in `weight` copies: the course's
    prompts ask for code that uses the libraries, and library modules are nine tenths of the characters."""
    import datasets

    if weight <= 1:
        return train
    usage = train.filter(lambda kind: kind != "library", input_columns="kind")
    return datasets.concatenate_datasets([train] + [usage] * (weight - 1))


def train_tokenizer(args, corpus):
    """GPT-2's byte-level BPE retrained on the training files (chapter 6.2), or --tokenizer as it is."""
    from transformers import AutoTokenizer

    if args.tokenizer:
        return AutoTokenizer.from_pretrained(args.tokenizer)
    gpt2 = AutoTokenizer.from_pretrained(hub.base_model_path(hub.GPT2))
    train = corpus["train"]

    def batches(size: int = 200):
        for i in range(0, len(train), size):
            yield list(train[i:i + size]["content"])

    tokenizer = gpt2.train_new_from_iterator(batches(), args.vocab_size)
    tokenizer.model_max_length = args.context
    return tokenizer


def windows(dataset, tokenizer, context: int):
    """Files joined by the end-of-text token, cut into windows of `context` ids (run_clm's group_texts)."""
    def join_and_cut(batch):
        ids = []
        for text in batch["content"]:
            ids += tokenizer(text, verbose=False)["input_ids"] + [tokenizer.eos_token_id]
        n = len(ids) // context * context
        return {"input_ids": [ids[i:i + context] for i in range(0, n, context)]}

    return dataset.map(join_and_cut, batched=True, batch_size=200, remove_columns=dataset.column_names,
                       desc="tokenizing")


def tokens_per_character(tokenizer, texts: list[str]) -> float:
    return sum(len(ids) for ids in tokenizer(texts)["input_ids"]) / sum(map(len, texts))


# ---------------------------------------------------------------------------------------------- model and loss

def make_model(args, tokenizer):
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=len(tokenizer), n_positions=args.context, n_embd=args.n_embd,
                        n_layer=args.n_layer, n_head=max(1, args.n_embd // 64), resid_pdrop=args.dropout,
                        embd_pdrop=args.dropout, attn_pdrop=args.dropout, bos_token_id=tokenizer.eos_token_id,
                        eos_token_id=tokenizer.eos_token_id)
    return GPT2LMHeadModel(config)


def keytoken_ids(tokenizer) -> list[int]:
    """The ids of the course's key words that are single tokens (with or without a leading space)."""
    ids = []
    for word in task.KEYTOKENS:
        for variant in (word, " " + word):
            encoded = tokenizer([variant])["input_ids"][0]
            if len(encoded) == 1:
                ids.append(encoded[0])
    return sorted(set(ids))


def keytoken_weighted_loss(inputs, logits, keytoken_ids: list[int], alpha: float = 1.0):
    """The course's loss: per-sample cross-entropy, each sample weighted by 1 + alpha x (key tokens in it)."""
    from torch.nn import CrossEntropyLoss

    shift_labels = inputs[..., 1:].contiguous()
    shift_logits = logits[..., :-1, :].contiguous()
    loss = CrossEntropyLoss(reduction="none")(shift_logits.view(-1, shift_logits.size(-1)).float(),
                                              shift_labels.view(-1))
    loss_per_sample = loss.view(shift_logits.size(0), shift_logits.size(1)).mean(axis=1)
    weights = torch.stack([(inputs == kt).float() for kt in keytoken_ids]).sum(axis=[0, 2])
    weights = alpha * (1.0 + weights)
    return (loss_per_sample * weights).mean()


def evaluate(model, loader, accelerator, max_batches: int | None = None) -> dict:
    """Mean loss and perplexity over `loader` (every window weighs the same), over every process's windows."""
    model.eval()
    losses = []
    with torch.no_grad():
        for i, batch in enumerate(loader):
            if max_batches and i >= max_batches:
                break
            with accelerator.autocast():
                loss = model(input_ids=batch["input_ids"], labels=batch["input_ids"]).loss.float()
            losses.append(accelerator.gather_for_metrics(loss.repeat(len(batch["input_ids"]))))
    model.train()
    loss = torch.cat(losses).mean().item() if losses else 0.0
    return {"loss": loss, "perplexity": math.exp(min(loss, 50))}


# ---------------------------------------------------------------------------------------------- training loop

def save_state(folder: Path, model, optimizer, scheduler, step: int, history: list[dict]) -> None:
    """A resumable checkpoint (replacing the previous one): weights, optimizer, schedule, step, curve."""
    ckpts = common.checkpoints_dir(folder)
    target = ckpts / f"step-{step}"
    partial = ckpts / f"step-{step}.partial"
    partial.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "step": step, "history": history}, partial / "state.pt")
    for old in ckpts.glob("step-*"):
        if old != partial and old.is_dir():
            for f in old.iterdir():
                f.unlink()
            old.rmdir()
    partial.rename(target)


def train(args, model, data, tokenizer, folder: Path):
    from accelerate import Accelerator
    from torch.utils.data import DataLoader
    from transformers import get_scheduler

    settings = common.device_settings(cpu_bf16=True)
    precision = common.precision_name(settings)
    accelerator = Accelerator(mixed_precision="no" if precision == "fp32" else precision, cpu=settings["use_cpu"])
    train_loader = DataLoader(data["train"].with_format("torch"), batch_size=common.per_process_batch(args.batch_size),
                              shuffle=True, generator=torch.Generator().manual_seed(args.seed))
    eval_loader = DataLoader(data["validation"].with_format("torch"), batch_size=args.batch_size)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]  # biases and LayerNorm weights
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=SMOKE_LR if args.smoke else args.lr, betas=(0.9, 0.95))
    per_epoch = math.ceil(math.ceil(len(data["train"]) / args.batch_size) / args.grad_accum)  # over all processes
    total = SMOKE_STEPS if args.smoke else args.max_steps or math.ceil(args.epochs * per_epoch)
    scheduler = get_scheduler("constant" if args.smoke else "cosine", optimizer,
                              num_warmup_steps=0 if args.smoke else args.warmup,
                              num_training_steps=total)
    model, optimizer, train_loader, eval_loader = accelerator.prepare(model, optimizer, train_loader, eval_loader)
    history: list[dict] = []
    step = 0
    resume = common.resume_checkpoint(args)
    if resume:
        state = torch.load(Path(resume) / "state.pt", weights_only=True)
        accelerator.unwrap_model(model).load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, history = state["step"], state["history"]
    keys = keytoken_ids(tokenizer)

    def loss_of(batch):
        with accelerator.autocast():
            if args.keytoken_weight:
                logits = model(input_ids=batch["input_ids"]).logits
                return keytoken_weighted_loss(batch["input_ids"], logits, keys, args.keytoken_weight)
            return model(input_ids=batch["input_ids"], labels=batch["input_ids"]).loss

    def batch_loss(batch) -> float:  # the mean over processes: the loss of the whole batch
        return accelerator.reduce(loss_of(batch).detach(), "mean").item()

    if args.smoke:  # the ch8 check: overfit one batch (each process its share of it)
        batch = next(iter(train_loader))
        before = batch_loss(batch)
        for _ in range(total):
            accelerator.backward(loss_of(batch))
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        after = batch_loss(batch)
        common.check_smoke(before, after, args.batch_size, total)
        return accelerator.unwrap_model(model), [{"loss": before, "step": 0}, {"loss": after, "step": total}]

    model.train()
    saved_at = time.time()
    bar = common.progress(total=total, initial=step, desc="training", unit="step", mininterval=10)
    epoch = step * args.grad_accum // len(train_loader)
    skip = step * args.grad_accum % len(train_loader)  # batches of this epoch already seen before a resume
    while step < total:
        train_loader.set_epoch(epoch)
        loader = accelerator.skip_first_batches(train_loader, skip) if skip else train_loader
        skip = 0
        for i, batch in enumerate(loader):
            loss = loss_of(batch) / args.grad_accum
            accelerator.backward(loss)
            if (i + 1) % args.grad_accum:
                continue
            accelerator.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            bar.update(1)
            if step % 25 == 0:
                mean_loss = accelerator.reduce(loss.detach(), "mean").item() * args.grad_accum  # all processes
                history.append({"loss": mean_loss, "step": step, "lr": scheduler.get_last_lr()[0]})
                bar.set_postfix(loss=f"{history[-1]['loss']:.3f}")
            if step % args.eval_every == 0 or step == total:
                scores = evaluate(model, eval_loader, accelerator)
                history.append({"eval_perplexity": scores["perplexity"], "eval_loss": scores["loss"], "step": step,
                                "epoch": step * args.grad_accum / len(train_loader)})
                print(f"step {step}: validation loss {scores['loss']:.4f}, perplexity {scores['perplexity']:.2f}",
                      flush=True)
            if accelerator.is_main_process and (time.time() - saved_at > args.save_minutes * 60 or step == total):
                save_state(folder, accelerator.unwrap_model(model), optimizer, scheduler, step, history)
                saved_at = time.time()
            if step >= total:
                break
        epoch += 1
    bar.close()
    return accelerator.unwrap_model(model), history


# ---------------------------------------------------------------------------------------------- the baseline

class KneserNeyTrigram:
    """An interpolated Kneser-Ney trigram model over token ids (discount 0.75): the n-gram baseline."""

    def __init__(self, sequences, vocab_size: int, discount: float = 0.75):
        self.d, self.vocab = discount, vocab_size
        self.tri, self.bi = Counter(), Counter()
        for ids in sequences:
            self.tri.update(zip(ids, ids[1:], ids[2:]))
            self.bi.update(zip(ids, ids[1:]))
        self.tri_context, self.tri_types = Counter(), Counter()  # c(u v .), N1+(u v .)
        for (u, v, _), n in self.tri.items():
            self.tri_context[u, v] += n
            self.tri_types[u, v] += 1
        continuation = defaultdict(int)  # N1+(. v w): the Kneser-Ney counts of the bigram level
        for (_, v, w) in self.tri:
            continuation[v, w] += 1
        self.cont_bi = continuation
        self.cont_context, self.cont_types = Counter(), Counter()
        for (v, w), n in continuation.items():
            self.cont_context[v] += n
            self.cont_types[v] += 1
        self.cont_uni = Counter(w for (_, w) in self.bi)  # N1+(. w)
        self.n_bigram_types = len(self.bi)

    def prob(self, u, v, w) -> float:
        d = self.d
        p_uni = (self.cont_uni[w] + 1) / (self.n_bigram_types + self.vocab)  # add-one floor: no zero
        c_v = self.cont_context[v]
        p_bi = p_uni if not c_v else (max(self.cont_bi.get((v, w), 0) - d, 0) / c_v
                                      + d * self.cont_types[v] / c_v * p_uni)
        c_uv = self.tri_context[u, v]
        if not c_uv:
            return p_bi
        return max(self.tri[u, v, w] - d, 0) / c_uv + d * self.tri_types[u, v] / c_uv * p_bi

    def perplexity(self, sequences) -> float:
        """Per-token perplexity of each window's tokens after its first two (the LM is scored the same way)."""
        total, n = 0.0, 0
        for ids in sequences:
            for u, v, w in zip(ids, ids[1:], ids[2:]):
                total -= math.log(self.prob(u, v, w))
                n += 1
        return math.exp(total / max(n, 1))


def lm_perplexity(model, sequences, batch_size: int = 32, skip: int = 2) -> float:
    """Per-token perplexity of `model` on windows, over each window's tokens after its first `skip` (so the
    n-gram baseline, which needs two tokens of context, is scored on exactly the same tokens)."""
    from torch.nn import functional as F

    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(sequences), batch_size):
            ids = torch.tensor(sequences[i:i + batch_size])
            logits = model(input_ids=ids).logits.float()
            losses = F.cross_entropy(logits[:, skip - 1:-1].reshape(-1, logits.shape[-1]), ids[:, skip:].reshape(-1),
                                     reduction="sum")
            total += losses.item()
            n += ids[:, skip:].numel()
    return math.exp(total / max(n, 1))


# ---------------------------------------------------------------------------------------------- scores

def completions(folder: Path, prompts) -> list[dict]:
    """Each prompt's greedy completion through the Space's code path, with the two checks."""
    rows = []
    for prompt, expects in prompts:
        completion = task.predict(prompt, max_new_tokens=64, temperature=0, model=str(folder)).value
        rows.append({"prompt": prompt, "completion": completion, "expects": expects,
                     "valid_python": task.is_valid_python(prompt + completion),
                     "does_what_asked": task.does_what_asked(completion, expects)})
    return rows


def score(folder: Path, test_ids: list[list[int]], texts: list[str], train_ids: list[list[int]]) -> dict:
    """Test perplexity of the saved folder and of the n-gram baseline; tokens per character of the tokenizer
    and of GPT-2's on the test files; the prompts' completions."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from shared import modeling

    modeling.clear_cache()
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    started = time.time()
    ppl = lm_perplexity(model, test_ids)
    print(f"test perplexity {ppl:.2f} ({len(test_ids)} windows, {time.time() - started:.0f} s)", flush=True)
    started = time.time()
    ngram = KneserNeyTrigram(train_ids, len(tokenizer))
    base = ngram.perplexity(test_ids)
    print(f"Kneser-Ney trigram perplexity {base:.2f} ({time.time() - started:.0f} s)", flush=True)
    gpt2 = AutoTokenizer.from_pretrained(hub.base_model_path(hub.GPT2))
    course = completions(folder, task.COURSE_PROMPTS)
    extra = completions(folder, EXTRA_PROMPTS)
    for row in course + extra:
        print(json.dumps(row), flush=True)
    return {"perplexity": ppl, "baseline_perplexity": base, "windows": len(test_ids),
            "tokens_per_char": {"this tokenizer": tokens_per_character(tokenizer, texts),
                                "GPT-2's tokenizer": tokens_per_character(gpt2, texts)},
            "course_prompts": course, "extra_prompts": extra,
            "course_prompts_valid": sum(r["valid_python"] for r in course),
            "course_prompts_do_what_asked": sum(r["valid_python"] and r["does_what_asked"] for r in course)}


def results(test: dict) -> list[dict]:
    return [{"split": f"held-out test files ({test['windows']:,} windows)", "metric": "perplexity",
             "value": test["perplexity"], "baseline": "Kneser-Ney trigram on the same tokens",
             "baseline_value": test["baseline_perplexity"], "dataset_id": "codeparrot/codeparrot-ds-valid",
             "lower_is_better": True}]


def main(argv: list[str] | None = None) -> dict:
    args = common.parse_args(build_parser(), argv, course=COURSE_PRESET)
    folder = Path(args.output_dir)
    if args.card_only:
        return common.rewrite(folder, "code_generation")
    if args.smoke:
        args.vocab_size, args.n_layer, args.n_embd, args.context = 400, 2, 64, 32
        args.batch_size = common.SMOKE_EXAMPLES
    torch.manual_seed(args.seed)
    started = time.time()
    with common.main_process_first():  # the builder caches the sdists; map may write cache files
        corpus = load_corpus(args)
    if "kind" not in corpus["train"].column_names:  # e.g. codeparrot-ds: no usage code to weigh; the card says so
        args.usage_weight = 1
    trained = common.checkpoints_dir(folder) / "tokenizer"  # kept for --resume, removed with the checkpoints
    if args.rescore or (args.resume and trained.is_dir()):  # the very tokenizer the model learned
        args.tokenizer = str(folder if args.rescore else trained)

    def build():
        tokenizer = train_tokenizer(args, corpus)
        if not args.rescore:
            tokenizer.save_pretrained(trained)
        return tokenizer

    from transformers import AutoTokenizer

    tokenizer = common.built_by_main(build, lambda: AutoTokenizer.from_pretrained(trained))  # one for all processes
    with common.main_process_first():
        data = corpus.__class__({side: windows(corpus[side], tokenizer, args.context)
                                 for side in ("validation", "test")})
        data["train"] = windows(weigh_usage(corpus["train"], args.usage_weight), tokenizer, args.context)
    if args.smoke:
        data["train"] = common.smoke_slice(data["train"])
    print({side: len(d) for side, d in data.items()}, "windows of", args.context, "tokens", flush=True)
    if args.rescore:
        metrics = common.read_metrics(folder)
    else:
        model = make_model(args, tokenizer)
        parameters = sum(p.numel() for p in model.parameters())
        print(f"GPT-2 from scratch: {parameters / 1e6:.2f}M parameters", flush=True)
        model, history = train(args, model, data, tokenizer, folder)
        if not common.is_main_process():  # the rest is the main process's alone
            return {}
        common.save_model(model, tokenizer, folder, base_model="gpt2 (architecture only, trained from scratch)",
                          half=True)
        metrics = {"task": task.TASK, "smoke": args.smoke, "base_model": None, "parameters": parameters,
                   "history": history, "data": {side: len(d) for side, d in data.items()},
                   "hyperparameters": {k: getattr(args, k) for k in (
                       "vocab_size", "n_layer", "n_embd", "context", "batch_size", "grad_accum", "lr", "warmup",
                       "weight_decay", "max_steps", "keytoken_weight", "usage_weight", "no_doc_examples", "seed")},
                   "train_seconds": round(time.time() - started, 1), "environment": common.environment(),
                   "precision": common.precision_name(common.device_settings(cpu_bf16=True)),
                   "card": CARD, "course_reference": COURSE_REFERENCE, "data_description": code.DESCRIPTION.format(
                       seed=code.SEED)}
    if args.smoke:
        h = metrics["history"]
        metrics["results"] = [{"split": "smoke batch", "metric": "loss", "value": h[-1]["loss"], "baseline": "before",
                               "baseline_value": h[0]["loss"], "dataset_id": "code", "lower_is_better": True}]
    else:
        metrics["test"] = score(folder, list(data["test"]["input_ids"]), list(corpus["test"]["content"]),
                                list(data["train"]["input_ids"]))
        metrics["results"] = results(metrics["test"])
    common.finish(args, metrics, card="code_generation", log_history=metrics["history"], metric="perplexity",
                  title=CARD["title"])
    return metrics


if __name__ == "__main__":
    main()
