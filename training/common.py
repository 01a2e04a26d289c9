"""What every training script shares, whatever its head (classifier, token tagger, QA span, LM, seq2seq).

    parser = argparse.ArgumentParser(description=...)
    common.add_common_args(parser, output_dir="/tmp/ckpt-x", hub_model_id=...)   # output, seed, smoke, push, card
    common.add_training_args(parser, model=..., epochs=3, lr=5e-4, batch_size=32)  # model, data, loop, resume
    args = common.parse_args(parser, argv, course=COURSE_PRESET)  # checks folder + network before any work
    transformers.set_seed(args.seed)
    ... the script's own data, preprocessing, model, loop and metric ...
    if not common.is_main_process():  # under `accelerate launch`: training is shared, the rest is the main's
        return {}
    common.save_model(model, tokenizer, args.output_dir, base_model=args.model)
    common.finish(args, metrics, card="<task>", log_history=...)  # metrics.json, curve, card, push

Everything a model card shows is in the folder's metrics.json: `write_card` renders
`training/cards/<task>.md.j2` from it alone, so `--card-only` re-renders a card and `--rescore` (each script
re-measures its test splits through the Space's code path) rewrites metrics.json and then the card.

Several processes (`accelerate launch --multi_gpu --num_processes N -m training.<task>`, or torchrun): the
processes join one group in `parse_args` (gloo on a machine without CUDA, NCCL with GPUs); `--batch-size` is the
global batch, each process takes `per_process_batch` of it, so any number of processes takes the same steps.
Only the main process prints, draws progress bars and writes files; the others go quiet, build shared caches only
after the main process (`main_process_first`), and return once the collective work (training, gathered
evaluation) is done. A script with nothing to split (`add_common_args(..., data_parallel=False)`) runs on the
main process alone and the others exit at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import torch

from shared import hub, modeling

SMOKE_EXAMPLES = 8  # the "one batch" of the course's ch8 overfitting check
SMOKE_STEPS = 20
SMOKE_LR = 2e-3
SMOKE_MIN_DROP = 0.5  # the loss on that batch must at least halve
CARDS_DIR = Path(__file__).resolve().parent / "cards"
SMOKE_DATA = Path(__file__).resolve().parent / "smoke_data"  # tiny corpora for --smoke (and the tests)


# ---------------------------------------------------------------- arguments

SINGLE_PROCESS_NOTE = ("Under `accelerate launch` with several processes the main process does all the work\n"
                       "(nothing here is data-parallel) and the others exit at once.")


def add_common_args(parser: argparse.ArgumentParser, *, output_dir: str, hub_model_id: str | None = None,
                    seed: int = 42, data_parallel: bool = True) -> argparse.ArgumentParser:
    """The options of every script, trained or not: output folder, seed, smoke run, card, push. `data_parallel`:
    False for a script with no gradient steps to share (its --help says so; see `join_processes`)."""
    parser.set_defaults(data_parallel=data_parallel)
    if not data_parallel:
        parser.epilog = f"{parser.epilog}\n\n{SINGLE_PROCESS_NOTE}" if parser.epilog else SINGLE_PROCESS_NOTE
    g = parser.add_argument_group("common options")
    g.add_argument("--output-dir", default=output_dir, help="where the checkpoint folder is written")
    g.add_argument("--seed", type=int, default=seed)
    g.add_argument("--smoke", action="store_true",
                   help="a seconds-long run on tiny data that fails unless the model learns (course ch8)")
    g.add_argument("--rescore", action="store_true",
                   help="re-measure the test splits of the finished folder OUTPUT_DIR through the Space's code "
                        "path, rewrite its metrics.json and card, and stop (the weights are not touched)")
    g.add_argument("--card-only", action="store_true",
                   help="re-render OUTPUT_DIR/README.md from OUTPUT_DIR/metrics.json and stop")
    g.add_argument("--push-to-hub", action="store_true", help="upload the finished folder to the Hub")
    g.add_argument("--hub-model-id", default=hub_model_id, help=f"repo to push to (default: {hub_model_id})")
    return parser


def add_training_args(parser: argparse.ArgumentParser, *, model: str = hub.MINILM, dataset: str | None = None,
                      epochs: float = 3, lr: float = 5e-4, batch_size: int = 32,
                      max_length: int = 128) -> argparse.ArgumentParser:
    """The options of a script that trains weights; keyword arguments are the script's defaults."""
    g = parser.add_argument_group("training options")
    g.add_argument("--model", default=model, help=f"base model, a Hub id or folder (default: {model})")
    g.add_argument("--dataset", default=dataset,
                   help="a Hub dataset id (needs network) or local file instead of the project's own data")
    g.add_argument("--epochs", type=float, default=epochs)
    g.add_argument("--lr", type=float, default=lr, help="peak learning rate (linear decay)")
    g.add_argument("--batch-size", type=int, default=batch_size,
                   help="examples per optimizer step, over all processes (see common.per_process_batch)")
    g.add_argument("--max-length", type=int, default=max_length, help="tokens per example after truncation")
    g.add_argument("--resume", action="store_true",
                   help="continue from the last checkpoint in OUTPUT_DIR/checkpoints (after a kill)")
    g.add_argument("--preset", choices=["local", "course"], default="local",
                   help="local: packaged MiniLM + local data (offline, CPU); course: the course's Hub model, "
                        "Hub dataset and hyperparameters (needs network, wants a GPU)")
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None,
               course: dict | None = None) -> argparse.Namespace:
    """Parse, apply `--preset course` (its values replace the defaults; flags on the command line still win) and
    `--threads` (where the script has it), then `check_environment`: a run that cannot finish stops here, in one
    line, before any long work."""
    args = parser.parse_args(argv)
    if getattr(args, "preset", "local") == "course":
        if not course:
            parser.error("this script has no course preset")
        parser.set_defaults(**{k.replace("-", "_"): v for k, v in course.items()})
        args = parser.parse_args(argv)
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    check_environment(args)
    return args


# ---------------------------------------------------------------- failing clearly, before the long work

def fail(sentence: str):
    """Stop the script with one line that says what to do (exit status 1, no traceback)."""
    raise SystemExit(f"error: {sentence}")


def check_environment(args) -> None:
    """What a run needs and can check in a second: a writable output folder (or, for --card-only/--rescore,
    a finished one), and the Hub when the run will download from it or push to it. First, `join_processes`; and
    fp32 for every score the run measures through the Spaces' code, since a card's figures are fp32's (the faster
    serving precisions are checked against them by training.serving_precision; a run that sets
    NLP_COURSE_PRECISION itself keeps it)."""
    join_processes(args)
    os.environ.setdefault(modeling.PRECISION_VARIABLE, "fp32")
    out = Path(args.output_dir)
    if (args.card_only or args.rescore) and not (out / "metrics.json").is_file():
        fail(f"{out} has no metrics.json: --card-only and --rescore work on a finished training folder; "
             "pass it with --output-dir.")
    check_writable(out)
    needs = hub_needs(args)
    if needs:
        check_hub(needs)


def check_writable(folder: str | os.PathLike) -> None:
    """Create `folder` and write a file in it, or stop with a sentence."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"  # one per process: several may probe at once
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        fail(f"cannot write to the output folder {folder} ({e.strerror or e}); choose another with --output-dir.")


def hub_needs(args) -> list[str]:
    """Why this run needs the Hub: the options that download from it or push to it."""
    needs = []
    if getattr(args, "preset", "local") == "course":
        needs.append("--preset course downloads the course's model and dataset")
    elif getattr(args, "dataset", None) and not Path(args.dataset).exists() and not (args.card_only or args.rescore):
        needs.append(f"--dataset {args.dataset} is not a local path, so it is downloaded")
    if args.push_to_hub:
        if not args.hub_model_id:
            fail("--push-to-hub needs --hub-model-id (the repo to create or update).")
        needs.append("--push-to-hub uploads the result")
    return needs


def hub_unreachable(timeout: float = 5.0) -> str | None:
    """None when the Hub endpoint answers within `timeout` seconds, else why not (a short phrase)."""
    import httpx
    from huggingface_hub import constants

    try:
        httpx.head(constants.ENDPOINT, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as e:
        return f"{constants.ENDPOINT} cannot be reached ({type(e).__name__})"
    return None


def check_hub(needs: list[str]) -> None:
    why = "; ".join(needs)
    if hub.is_offline():
        fail(f"{why}, but HF_HUB_OFFLINE is set: unset it on a machine with network, or drop those options.")
    problem = hub_unreachable()
    if problem:
        fail(f"{why}, but {problem}: connect to the network (or set HF_ENDPOINT), or drop those options.")


@contextlib.contextmanager
def clear_errors(what: str, hint: str = ""):
    """Turn the usual failures of `what` (a missing file or package, a failed download) into one line."""
    try:
        yield
    except ImportError as e:
        fail(f"{what}: the Python package '{e.name}' is missing; run `pip install -r requirements.txt`.")
    except subprocess.CalledProcessError as e:
        cmd = " ".join(map(str, e.cmd)) if isinstance(e.cmd, (list, tuple)) else e.cmd
        fail(f"{what}: `{cmd}` failed (exit status {e.returncode}). {hint}".strip())
    except (OSError, ConnectionError) as e:  # FileNotFoundError, PermissionError, network errors
        fail(f"{what}: {e}. {hint}".strip())


# ---------------------------------------------------------------- several processes (accelerate launch, torchrun)

def processes():
    """This run's process group, accelerate's PartialState: one process under `python -m`, N under `accelerate
    launch` or torchrun. Started on the CPU (gloo) when there is no CUDA: `accelerate launch --multi_gpu` on a CPU
    machine then gives N CPU processes (accelerate 1.15's `--cpu --num_processes N` starts one without MPI)."""
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def is_main_process() -> bool:
    return processes().is_main_process


def main_process_first():
    """`with common.main_process_first():` the main process runs the block first (building and caching data,
    training a tokenizer), the others run it once it has finished and read what it wrote."""
    return processes().main_process_first()


def join_processes(args) -> None:
    """Join the process group. On the other processes: stdout, warnings and progress bars off (errors still reach
    stderr); and exit at once for a script that is not data-parallel, --card-only and --rescore."""
    if is_main_process():
        return
    if args.card_only or args.rescore or not getattr(args, "data_parallel", True):
        raise SystemExit(0)
    import datasets
    import transformers

    sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (for the life of the process)
    warnings.simplefilter("ignore")
    datasets.disable_progress_bars()
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def per_process_batch(global_batch: int) -> int:
    """The batch rule: --batch-size is the global batch, what one optimizer step sees over all processes; each
    process takes global / processes examples, so 1, 2 or 8 processes take the same steps (and the same learning
    rate fits). Stops with a sentence when the batch does not split evenly."""
    n = processes().num_processes
    if global_batch % n:
        fail(f"the batch of {global_batch} examples does not split evenly over {n} processes; pass a --batch-size "
             f"that is a multiple of {n}.")
    return global_batch // n


def process_share(batch):
    """This process's part of a global batch (a tensor, split along its first axis into near-equal chunks), for a
    hand-written loop without a DataLoader; with the gradients averaged over processes (DDP), the step is the one
    a single process takes on the whole batch."""
    state = processes()
    return torch.tensor_split(batch, state.num_processes)[state.process_index]


def progress(*args, **kwargs):
    """A tqdm bar on the main process only (the others would draw the same bar again)."""
    from tqdm.auto import tqdm

    return tqdm(*args, disable=not is_main_process(), **kwargs)


def built_by_main(build, load):
    """`build()` on the main process (it writes what `load()` reads back), then `load()` on the others once it has
    finished: for a step that writes files or must give every process the same result (a trained tokenizer)."""
    with main_process_first():
        return build() if is_main_process() else load()


# ---------------------------------------------------------------- device, smoke run, resume

def device_settings(cpu_bf16: bool = False) -> dict:
    """Device and precision, chosen automatically: CUDA in bf16 when the GPU supports it, else fp16; CPU in fp32,
    or with `cpu_bf16` in bf16 autocast when the CPU reports native bf16 (shared.modeling.cpu_has_bf16)."""
    if torch.cuda.is_available():
        bf16 = torch.cuda.is_bf16_supported()
        return {"device": f"cuda ({torch.cuda.get_device_name(0)})", "bf16": bf16, "fp16": not bf16,
                "use_cpu": False}
    from shared.modeling import cpu_has_bf16

    n = torch.get_num_threads()
    return {"device": f"cpu ({n} thread{'s' * (n > 1)})", "bf16": cpu_bf16 and cpu_has_bf16(), "fp16": False,
            "use_cpu": True}


def trainer_options(args, settings: dict) -> dict:
    """The TrainingArguments every Trainer run here shares: seed, device and precision (`device_settings`), no
    reports, no data-loader workers, and each process's loss its own mean (average_tokens_across_devices=False:
    left on, transformers 5 multiplies by the number of processes the loss of every model whose forward takes
    **kwargs, and most of those, BERT's classifiers among them, ignore the token count it is meant to divide by:
    under 2 processes the loss doubled)."""
    return {"seed": args.seed, "report_to": "none", "dataloader_num_workers": 0, "bf16": settings["bf16"],
            "fp16": settings["fp16"], "use_cpu": settings["use_cpu"], "average_tokens_across_devices": False}


def precision_name(settings: dict) -> str:
    return "bf16" if settings["bf16"] else "fp16" if settings["fp16"] else "fp32"


def smoke_slice(dataset, n: int = SMOKE_EXAMPLES, seed: int = 0):
    """The one batch that --smoke overfits (same examples for training and evaluation)."""
    return dataset.shuffle(seed=seed).select(range(min(n, len(dataset))))


def check_smoke(before: float, after: float, examples: int, steps: int) -> None:
    """The ch8 overfitting check: SystemExit unless the loss on the one batch at least halved."""
    print(f"smoke check (overfit one batch): loss {before:.4f} -> {after:.4f}", flush=True)
    if not after <= SMOKE_MIN_DROP * before:
        raise SystemExit(f"Smoke check failed: the loss on one batch of {examples} examples went from {before:.4f} "
                         f"to {after:.4f} in {steps} steps; it should at least halve. Check the labels, the "
                         "learning rate and which weights train.")


def checkpoints_dir(output_dir: str | Path) -> Path:
    """Where epoch checkpoints go (removed when a run finishes)."""
    return Path(output_dir) / "checkpoints"


def resume_checkpoint(args) -> str | None:
    """With --resume, the last checkpoint in OUTPUT_DIR/checkpoints (Trainer's checkpoint-N or a loop's epoch-N)."""
    if not getattr(args, "resume", False):
        return None
    folder = checkpoints_dir(args.output_dir)
    found = sorted((p for p in folder.glob("*-*") if p.is_dir() and p.name.split("-")[-1].isdigit()),
                   key=lambda p: int(p.name.split("-")[-1])) if folder.is_dir() else []
    print(f"resuming from {found[-1]}" if found else f"--resume: no checkpoint in {folder}, starting fresh",
          flush=True)
    return str(found[-1]) if found else None


# ---------------------------------------------------------------- outputs

def save_model(model, tokenizer, folder: str | Path, *, base_model: str, half: bool = False) -> Path:
    """Write the model (a PEFT adapter, or a full model) + its config + tokenizer into `folder`; the adapter and
    config name `base_model` (the real Hub id, not the packaged path), so the folder loads the usual way.
    `half`: store the weights in fp16 (half the size; shared.modeling loads them back as fp32)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "peft_config"):
        model.peft_config["default"].base_model_name_or_path = base_model
        # save_embedding_layers=False: the vocabulary is unchanged, and "auto" would look the base up online
        model.save_pretrained(folder, safe_serialization=True, save_embedding_layers=False)
        if half:  # layers trained in full ride in the adapter file (modules_to_save): store them in fp16 too
            from safetensors.torch import load_file, save_file

            path = folder / "adapter_model.safetensors"
            save_file({k: v.half() if v.is_floating_point() else v for k, v in load_file(path).items()}, path,
                      metadata={"format": "pt"})
        config = model.get_base_model().config
        config._name_or_path = base_model
        config.architectures = [type(model.get_base_model()).__name__]  # which head: shared.modeling.head_of
        config.save_pretrained(folder)  # labels, architecture: what the base needs to rebuild the head
    else:
        model.config._name_or_path = base_model
        if half:
            model.to(torch.float16).save_pretrained(folder, safe_serialization=True)
            model.to(torch.float32)
            model.config.dtype = torch.float32  # config.json says float32: dtype="auto" upcasts the fp16 file
            model.config.save_pretrained(folder)
        else:
            model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def write_metrics(folder: str | Path, metrics: dict) -> Path:
    path = Path(folder) / "metrics.json"
    path.write_text(json.dumps(metrics, indent=2, default=float) + "\n")
    return path


def read_metrics(folder: str | Path) -> dict:
    return json.loads((Path(folder) / "metrics.json").read_text())


def started_from(model: str, keep: tuple[str, ...] = ()) -> dict | None:
    """The record of a local checkpoint folder that a run continues (its commit, base model, hyperparameters,
    data sizes, minutes, the `keep` keys of its metrics, and what it started from in turn); None for a Hub id or
    a folder without one."""
    if not (Path(model) / "metrics.json").is_file():
        return None
    earlier = read_metrics(model)
    try:
        revision = subprocess.run(["git", "log", "-1", "--format=%h", "--", "."], cwd=model, capture_output=True,
                                  text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        revision = None
    keys = ("base_model", "hyperparameters", "data", "train_seconds", *keep, "started_from")
    return {"folder": str(model), "revision": revision, **{k: earlier.get(k) for k in keys}}


def lineage(metrics: dict) -> list[dict]:
    """The `started_from` records of the runs before this one, the first run first (empty for one run)."""
    runs, earlier = [], metrics.get("started_from")
    while earlier:
        runs.insert(0, earlier)
        earlier = earlier.get("started_from")
    return runs


def plot_training(log_history: list[dict], path: str | Path, *, metric: str = "accuracy", title: str = "") -> Path:
    """Training loss per logged step (left) and the validation metric per epoch (right), as a PNG.
    `log_history` is Trainer's format: {"loss", "step"} rows and {"eval_<metric>", "epoch"} rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [(h["step"], h["loss"]) for h in log_history if "loss" in h and "step" in h]
    evals = [(h.get("epoch", h.get("step")), h[f"eval_{metric}"]) for h in log_history if f"eval_{metric}" in h]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=100)
    if steps:
        a.plot(*zip(*steps), color="tab:blue")
    a.set(xlabel="step", ylabel="training loss", title="loss per step")
    if evals:
        b.plot(*zip(*evals), marker="o", color="tab:green")
    b.set(xlabel="epoch", ylabel=f"validation {metric}", title=f"{metric} per epoch")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def write_card(folder: str | Path, template: str) -> Path:
    """Render `training/cards/<template>.md.j2` from `folder/metrics.json` alone into `folder/README.md`.

    metrics.json carries `card` (title, base_model, license, datasets, pipeline_tag, task_name, tags) and
    `results`: rows {split, metric, value, baseline, baseline_value, dataset_id}. The YAML gets one model-index
    entry per (split, metric); the template gets the whole metrics dict as `m` and the rows as `results`.
    """
    import jinja2
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    folder = Path(folder)
    m = read_metrics(folder)
    card, results = m["card"], m["results"]
    data = ModelCardData(
        license=card["license"], base_model=card["base_model"], datasets=card["datasets"],
        metrics=sorted({r["metric"] for r in results}), pipeline_tag=card["pipeline_tag"],
        library_name=card.get("library_name", "transformers"), tags=["nlp-course-live", *card.get("tags", [])],
        model_name=card["title"],
        eval_results=[  # once per (split, metric): a row per baseline must not repeat the model's score; the split
            # is named twice, as the Hub groups results by dataset type and split (not name): two test sets of one
            # dataset stay two entries
            EvalResult(task_type=card["pipeline_tag"], task_name=card["task_name"], dataset_type=r["dataset_id"],
                       dataset_name=r["split"], dataset_split=r["split"], metric_type=r["metric"],
                       metric_value=round(float(r["value"]), 4))
            for r in {(r["split"], r["metric"]): r for r in results}.values()])
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(CARDS_DIR), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["f3"] = lambda x: f"{x:.3f}"
    env.filters["num"] = lambda x: f"{x:,}"
    env.filters["g"] = lambda x: f"{x:g}"
    env.filters["pct"] = lambda x: f"{x:.0%}"
    env.filters["plural"] = lambda n, word: f"{n} {word}{'s' * (n != 1)}"
    env.globals["log"] = math.log
    env.globals["lineage"] = lineage
    text = env.get_template(f"{template}.md.j2").render(
        card_data=data.to_yaml(), m=m, results=results, plot=(folder / "training_curve.png").is_file())
    ModelCard(text).save(folder / "README.md")
    return folder / "README.md"


def rewrite(folder: str | Path, template: str, metrics: dict | None = None) -> dict:
    """The end of --card-only and --rescore: `metrics` (when given) written to `folder/metrics.json`, the card
    re-rendered from the folder's metrics, which are returned."""
    if metrics is not None:
        write_metrics(folder, metrics)
    write_card(folder, template)
    return read_metrics(folder)


def finish(args, metrics: dict, *, card: str, log_history: list[dict] | None = None, metric: str = "accuracy",
           title: str = "") -> Path:
    """Write metrics.json (+ training_curve.png from `log_history`) and the card; remove the epoch checkpoints
    of a finished run; push the folder with --push-to-hub."""
    folder = Path(args.output_dir)
    if log_history is not None:
        plot_training(log_history, folder / "training_curve.png", metric=metric, title=title)
    write_metrics(folder, metrics)
    write_card(folder, card)
    shutil.rmtree(checkpoints_dir(folder), ignore_errors=True)
    if args.push_to_hub:
        with clear_errors(f"pushing to {args.hub_model_id}", "Log in with `hf auth login` or set HF_TOKEN."):
            print(f"pushed to {push(folder, args.hub_model_id, metrics.get('task'))}", flush=True)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"wrote {folder} ({size / 1e6:.1f} MB)", flush=True)
    return folder


def push(folder: Path, repo_id: str, task: str | None = None) -> str:
    """Upload a checkpoint folder, or what its task's `export` makes of it (`shared.hub.hub_export`)."""
    export = hub.hub_export(task) if task else None
    if not export:
        return hub.push_folder(folder, repo_id)
    with tempfile.TemporaryDirectory() as staged:
        export(folder, staged)
        return hub.push_folder(staged, repo_id)


def environment() -> dict:
    """Versions and device, recorded in metrics.json."""
    import transformers

    return {"transformers": transformers.__version__, "torch": torch.__version__,
            "device": device_settings()["device"], "hf_hub_offline": hub.is_offline(),
            "threads": torch.get_num_threads(), "processes": processes().num_processes}
