"""Train the course's sketch-recognition CNN (chapter 9.4) on handwritten digits, for drawings as well as scans.

    python -m training.sketch                    # MNIST (shared.data.mnist), augmented for drawings; ~15 min on 2 CPUs
    python -m training.sketch --no-augment       # the plain MNIST recipe, for comparison
    python -m training.sketch --smoke            # overfit one batch
    python -m training.sketch --resume           # continue from the last epoch checkpoint
    python -m training.sketch --rescore --output-dir checkpoints/sketch

The course trains this network on Quick Draw doodles; offline, MNIST's 70,000 digits are what there is. Every
digit, in training as in the Space, goes through the same recipe (`shared.tasks.sketch.to_mnist`: crop to the
ink, even out the stroke, 20 px box, centre of mass). A sketchpad is not a scanner, so training also sees:
- each training digit redrawn once as a mouse draws (its skeleton traced with a round pen of a random width,
  at a random size, position and colour scheme: `shared.data.mnist.draw_like_a_mouse`), then the same recipe;
- per batch, on the GPU-free fast path of torch: random affine jitter (rotation, scale, shear, shift), elastic
  distortion (a smoothed random displacement field, as Simard et al. 2003), and stroke width changes (3 x 3
  dilation or erosion).

Scores: accuracy on MNIST's own 10,000 test digits, and on 2,000 of those digits drawn as a mouse draws
(`shared.data.mnist.drawn_test_set`: pen widths 2-16 px on a 400 px canvas, three sizes, anywhere on the canvas,
three colour schemes), both through the Space's code path. Baseline on the same splits: a multinomial
logistic regression on the same 28 x 28 pixels.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from shared import hub
from shared.data import mnist
from shared.nets.digit_cnn import DigitCNN, count_parameters
from shared.tasks import sketch
from training import common

SMOKE_FILE = common.SMOKE_DATA / "mnist" / "mnist_ascii_tiny.json"  # 24 training + 8 test digits
CARD = {"title": "Handwritten digit sketches (the course's sketch CNN, MNIST)", "license": "cc-by-sa-3.0",
        "datasets": ["mnist"], "pipeline_tag": "image-classification", "task_name": "Image Classification",
        "tags": ["sketch", "mnist", "cnn", "gradio-sketchpad"], "library_name": "pytorch", "base_model": None}
DATA_DESCRIPTION = (
    f"{mnist.SOURCE}. Licence: {mnist.LICENSE}. MNIST's 60,000 training digits split into train (55,000) and "
    "validation (5,000, seeded); MNIST's own 10,000 test digits are the test split. The ASCII art is lossy: about "
    "half the digits are thresholded to black and white, the others keep 10 grey levels but were squeezed to 12 "
    "rows (stretched back to 28 here).")
# Measured with `python -m training.sketch --no-augment` (same epochs and seed, 2 CPU threads, 8 minutes): the MNIST
# recipe alone (crop, even stroke, 20 px box, centre of mass) already carries drawings most of the way; the
# augmentation trades a few MNIST test digits for drawn ones.
NO_AUGMENT_RUN = {"command": "python -m training.sketch --no-augment", "mnist_test": 0.9923, "drawn": 0.9460,
                  "baseline_mnist_test": 0.9025, "baseline_drawn": 0.8040}
COURSE_REFERENCE = {"data": "Quick Draw, 100 classes", "architecture": "the same three conv + max-pool stages, "
                    "Linear(1152, 256), Linear(256, classes)"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-sketch", hub_model_id=hub.HUB_IDS.get("sketch"))
    g = parser.add_argument_group("training options")
    g.add_argument("--epochs", type=int, default=10)
    g.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (one-cycle schedule)")
    g.add_argument("--batch-size", type=int, default=128)
    g.add_argument("--no-augment", action="store_true", help="plain MNIST: no redrawn digits, no jitter")
    g.add_argument("--drawn-size", type=int, default=2_000, help="digits in the drawn test set")
    g.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    g.add_argument("--resume", action="store_true", help="continue from the last epoch in OUTPUT_DIR/checkpoints")
    return parser


# ---------------------------------------------------------------------------------------------- data

def prepare(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) digits (ink = 255) -> float32 (n, 28, 28) through the Space's recipe."""
    return np.stack([sketch.to_mnist(im.astype(np.float32) / 255.0) for im in images])


def redraw(images: np.ndarray, seed: int) -> np.ndarray:
    """Each digit drawn once as a mouse draws (random pen, size, place, colours), then the Space's recipe;
    cached under ~/.cache (keyed by the digits, the seed and the recipe's stroke width)."""
    import hashlib

    from tqdm.auto import tqdm

    key = hashlib.sha1(images.tobytes() + f"{seed}-{sketch.STROKE_PX}-v1".encode()).hexdigest()[:16]
    cache = mnist.CACHE / f"redrawn-{key}.npy"
    if cache.is_file():
        return np.load(cache)
    rng = np.random.default_rng(seed)
    out = np.empty((len(images), 28, 28), dtype=np.float32)
    for i, im in enumerate(tqdm(images, desc="redrawing digits as a mouse draws", unit="digit", mininterval=5)):
        canvas = int(rng.integers(160, 420))
        out[i] = sketch.check(mnist.draw_like_a_mouse(
            im, canvas=canvas, width=float(rng.uniform(1.5, 0.05 * canvas)), height=float(rng.uniform(0.25, 0.9)),
            offset=tuple(rng.uniform(-0.9, 0.9, 2)), style=str(rng.choice(mnist.STYLES))))
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, out)
    return out


def load_data(args) -> dict:
    """{"train", "validation", "test"}: (x float32 (n, 28, 28), y int64 (n,)); "train" holds the redrawn copies
    too unless --no-augment; "forms" marks the test digits' ASCII form; "raw_test" keeps the test digits."""
    data = (mnist.load_mnist(SMOKE_FILE, test_size=8, seed=args.seed) if args.smoke
            else mnist.load_mnist(seed=args.seed))
    arrays = {side: (np.asarray(data[side]["image"], dtype=np.uint8), np.asarray(data[side]["label"], dtype=np.int64))
              for side in data}
    if args.smoke:
        arrays = {side: (x[:common.SMOKE_EXAMPLES], y[:common.SMOKE_EXAMPLES]) for side, (x, y) in arrays.items()}
    out = {side: (prepare(x), y) for side, (x, y) in arrays.items()}
    if not args.no_augment and not args.smoke:
        x, y = out["train"]
        out["train"] = (np.concatenate([x, redraw(arrays["train"][0], args.seed)]), np.concatenate([y, y]))
    out["raw_test"] = arrays["test"]
    out["forms"] = np.asarray(data["test"]["form"])[:len(arrays["test"][1])]
    return out


# ------------------------------------------------------------------------------------- augmentation

def jitter(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random affine + elastic distortion + stroke width change, per image, on a batch (n, 1, 28, 28)."""
    n = x.shape[0]
    u = lambda *shape: torch.rand(*shape, generator=generator) * 2 - 1  # noqa: E731  uniform in [-1, 1]
    angle, scale, shear = u(n) * math.radians(12), 1 + u(n) * 0.12, u(n) * math.radians(10)
    shift = u(n, 2) * (2 / 14)  # +-2 px, in affine_grid's [-1, 1] units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + torch.tan(shear) * cos, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    field = F.avg_pool2d(u(n, 2, 28, 28), 7, stride=1, padding=3)  # smoothed noise
    field = field / field.abs().amax((1, 2, 3), keepdim=True).clamp_min(1e-6) * (2.5 / 14) \
        * torch.rand(n, 1, 1, 1, generator=generator)
    grid = grid + field.permute(0, 2, 3, 1)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    width = torch.rand(n, generator=generator)
    thick, thin = (width < 0.2)[:, None, None, None], (width > 0.85)[:, None, None, None]
    x = torch.where(thick, F.max_pool2d(x, 3, 1, 1), x)
    x = torch.where(thin, -F.max_pool2d(-x, 3, 1, 1), x)
    return x.clamp(0, 1)


# -------------------------------------------------------------------------------------------- training

def accuracy(net, x: np.ndarray, y: np.ndarray, batch: int = 1000) -> tuple[float, np.ndarray]:
    """(accuracy, predictions) of `net` on prepared digits."""
    predictions = np.concatenate([sketch.probabilities(net, x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return float((predictions == y).mean()), predictions


def train(args, data: dict, folder: Path) -> tuple[DigitCNN, list[dict]]:
    """The loop (one-cycle AdamW, jitter per batch, validation and a checkpoint per epoch); returns the network (on
    the CPU) and the history. Under `accelerate launch` every process draws the same order and the same jitter
    and trains on its share of each batch (DDP averages the gradients): the steps of one process."""
    import copy

    from accelerate import Accelerator

    accelerator = Accelerator(cpu=common.device_settings()["use_cpu"])
    x, y = (torch.from_numpy(a) for a in data["train"])
    net = DigitCNN(sketch.LABELS)
    steps_per_epoch = math.ceil(len(x) / args.batch_size)
    epochs = 1 if args.smoke else args.epochs
    optimizer = torch.optim.AdamW(net.parameters(), lr=common.SMOKE_LR if args.smoke else args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=optimizer.param_groups[0]["lr"],
                                                   total_steps=common.SMOKE_STEPS if args.smoke else epochs * steps_per_epoch)
    history: list[dict] = []
    start_epoch = 0
    resume = common.resume_checkpoint(args)
    if resume:
        state = torch.load(Path(resume) / "state.pt", weights_only=True)  # tensors and numbers only
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        history, start_epoch = state["history"], state["epoch"]
    model, optimizer = accelerator.prepare(net, optimizer)  # `model` is `net`, wrapped for several processes

    def batch_loss(batch_x, batch_y, **kwargs):  # on this process's share of the batch
        share = [common.process_share(t).to(accelerator.device) for t in (batch_x, batch_y)]
        return F.cross_entropy(model(share[0]), share[1], **kwargs)

    def train_step(batch_x, batch_y, **kwargs):
        loss = batch_loss(batch_x, batch_y, **kwargs)
        optimizer.zero_grad()
        accelerator.backward(loss)
        optimizer.step()
        schedule.step()
        return loss

    def mean_loss(loss) -> float:  # the whole batch's loss: the mean over processes
        return accelerator.reduce(loss.detach(), "mean").item()

    generator = torch.Generator().manual_seed(args.seed)
    if args.smoke:  # the ch8 check: overfit one batch
        batch_x, batch_y = x[:, None], y
        with torch.no_grad():
            before = mean_loss(batch_loss(batch_x, batch_y))
        for _ in range(common.SMOKE_STEPS):
            train_step(batch_x, batch_y)
        with torch.no_grad():
            after = mean_loss(batch_loss(batch_x, batch_y))
        common.check_smoke(before, after, len(batch_y), common.SMOKE_STEPS)
        return net.cpu().eval(), [{"loss": before, "step": 0}, {"loss": after, "step": common.SMOKE_STEPS}]
    for epoch in range(start_epoch, epochs):
        net.train()
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(args.seed + epoch))
        bar = common.progress(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{epochs}", unit="batch", mininterval=10)
        for step in bar:
            idx = order[step * args.batch_size:(step + 1) * args.batch_size]
            batch = x[idx][:, None]
            if not args.no_augment:
                batch = jitter(batch, generator)  # the whole batch on every process: the draws of one process
            loss = train_step(batch, y[idx], label_smoothing=0.05)
            if step % 50 == 0:
                history.append({"loss": mean_loss(loss), "step": epoch * steps_per_epoch + step})
                bar.set_postfix(loss=f"{history[-1]['loss']:.3f}")
        val, _ = accuracy(copy.deepcopy(net).cpu().eval(), *data["validation"])  # the Space's code path, on the CPU
        history.append({"eval_accuracy": val, "epoch": epoch + 1})
        print(f"epoch {epoch + 1}: validation accuracy {val:.4f}", flush=True)
        if accelerator.is_main_process:
            keep = common.checkpoints_dir(folder) / f"epoch-{epoch + 1}"
            keep.mkdir(parents=True, exist_ok=True)
            torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(), "history": history, "epoch": epoch + 1}, keep / "state.pt")
    return net.cpu().eval(), history


# ---------------------------------------------------------------------------------------------- scores

def baseline(data: dict) -> dict:
    """A multinomial logistic regression on the same prepared 28 x 28 pixels (scikit-learn)."""
    from sklearn.linear_model import LogisticRegression

    x, y = data["train"]
    model = LogisticRegression(max_iter=200, C=1.0)
    model.fit(x.reshape(len(x), -1), y)
    return {"model": model, "name": "logistic regression on the same 28 x 28 pixels"}


def drawn_scores(predict_batch, raw_test, n: int) -> dict:
    """Accuracy on `n` test digits drawn as a mouse draws, overall and per pen width / style / size."""
    images, labels = raw_test
    drawn = mnist.drawn_test_set(images, labels, n=n)
    x = np.stack([sketch.check(picture) for picture, _, _ in drawn])  # the Space's path
    y = np.array([label for _, label, _ in drawn])
    predictions = predict_batch(x)
    hits = predictions == y
    out = {"digits": n, "accuracy": float(hits.mean()), "predictions": predictions, "labels": y}
    for key in ("width", "style", "height"):
        out[f"by_{key}"] = {str(v): float(hits[[s[key] == v for _, _, s in drawn]].mean())
                            for v in sorted({s[key] for _, _, s in drawn})}
    return out


def confusion_png(labels: np.ndarray, predictions: np.ndarray, drawn: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), dpi=100)
    for ax, (title, y, p) in zip(axes, [("MNIST test digits", labels, predictions),
                                        ("test digits drawn as a mouse draws", drawn["labels"], drawn["predictions"])]):
        m = confusion_matrix(y, p, labels=range(10))
        ax.imshow(np.log1p(m), cmap="Blues")
        for i in range(10):
            for j in range(10):
                if m[i, j]:
                    ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if i == j else "black")
        ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
               title=f"{title}: {np.mean(y == p):.2%}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def score(folder: Path, data: dict, args) -> dict:
    """Test and drawn-set accuracy of the saved folder (loaded as the Space loads it), and of the baseline."""
    from shared import modeling

    modeling.clear_cache()
    net = sketch.load(str(folder))
    x, y = data["test"]
    acc, predictions = accuracy(net, x, y)
    forms = data["forms"]
    by_form = {str(form): float((predictions == y)[forms == form].mean()) for form in sorted(set(forms))}
    n = min(args.drawn_size, len(y))
    drawn = drawn_scores(lambda d: sketch.probabilities(net, d).argmax(1), data["raw_test"], n)
    base = baseline(data)
    base_acc = float((base["model"].predict(x.reshape(len(x), -1)) == y).mean())
    base_drawn = drawn_scores(lambda d: base["model"].predict(d.reshape(len(d), -1)), data["raw_test"], n)
    confusion_png(y, predictions, drawn, folder / "confusion_matrix.png")
    print(f"MNIST test accuracy {acc:.4f} ({by_form}); drawn digits {drawn['accuracy']:.4f}; "
          f"baseline {base_acc:.4f} / {base_drawn['accuracy']:.4f}", flush=True)
    clean = lambda d: {k: v for k, v in d.items() if k not in ("predictions", "labels")}  # noqa: E731
    return {"mnist_test": {"digits": len(y), "accuracy": acc, "by_form": by_form, "baseline": base_acc},
            "drawn": {**clean(drawn), "baseline": base_drawn["accuracy"]}, "baseline_name": base["name"]}


def results(test: dict) -> list[dict]:
    t, d = test["mnist_test"], test["drawn"]
    return [{"split": f"MNIST test ({t['digits']:,} digits)", "metric": "accuracy", "value": t["accuracy"],
             "baseline": test["baseline_name"], "baseline_value": t["baseline"], "dataset_id": "mnist"},
            {"split": f"MNIST test digits drawn as a mouse draws ({d['digits']:,})", "metric": "accuracy",
             "value": d["accuracy"], "baseline": test["baseline_name"], "baseline_value": d["baseline"],
             "dataset_id": "mnist"}]


def main(argv: list[str] | None = None) -> dict:
    args = common.parse_args(build_parser(), argv)
    folder = Path(args.output_dir)
    if args.card_only:
        return common.rewrite(folder, "sketch")
    torch.manual_seed(args.seed)
    started = time.time()
    with common.main_process_first():  # the builder caches MNIST and the redrawn digits
        data = load_data(args)
    if args.rescore:
        metrics = common.read_metrics(folder)
        metrics["test"] = score(folder, data, args)
        metrics.update(results=results(metrics["test"]), no_augment_run=NO_AUGMENT_RUN,
                       rescored="re-measured from the saved folder with --rescore")
        return common.rewrite(folder, "sketch", metrics)
    print({side: len(v[1]) for side, v in data.items() if side in ("train", "validation", "test")}, flush=True)
    net, history = train(args, data, folder)
    if not common.is_main_process():  # the rest is the main process's alone
        return {}
    net.save(folder)
    test = score(folder, data, args) if not args.smoke else {}
    metrics = {"task": sketch.TASK, "smoke": args.smoke, "base_model": None,
               "data": {side: len(data[side][1]) for side in ("train", "validation", "test")},
               "test": test, "course_reference": COURSE_REFERENCE,
               "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                                   "augment": not args.no_augment, "seed": args.seed, "stroke_px": sketch.STROKE_PX,
                                   "label_smoothing": 0.05, "weight_decay": 1e-4},
               "parameters": count_parameters(net), "train_seconds": round(time.time() - started, 1),
               "environment": common.environment(), "data_description": DATA_DESCRIPTION, "card": CARD,
               "no_augment_run": NO_AUGMENT_RUN,
               "results": results(test) if test else [
                   {"split": "smoke batch", "metric": "loss", "value": history[-1]["loss"], "baseline": "before",
                    "baseline_value": history[0]["loss"], "dataset_id": "mnist", "lower_is_better": True}]}
    common.finish(args, metrics, card="sketch", log_history=history, title=CARD["title"])
    return metrics


if __name__ == "__main__":
    main()
