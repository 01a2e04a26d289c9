"""Fine-tune Whisper tiny.en with a LoRA adapter on synthetic speech, so the ASR Space also reads espeak-ng's voice.

    python -m training.asr                      # 6,000 Brown sentences read by espeak-ng; ~2.5 h on 2 CPUs
    python -m training.asr --smoke              # overfit one batch of 8 clips
    python -m training.asr --resume             # continue from the last step checkpoint
    python -m training.asr --rescore --output-dir checkpoints/asr

Whisper reads real recordings well (word error rate 0.05-0.07 on the pocketsphinx recordings) and espeak-ng's
formant speech badly (0.40-0.44): a synthetic voice is a domain of its own, and the ASR Space is tested on it.
The packaged Whisper is CTranslate2 weights (float16), which faster-whisper runs but nothing trains;
`shared.whisper_ct2` turns them into a transformers `WhisperForConditionalGeneration`, peft trains a LoRA adapter
(rank 32 on every attention and feed-forward projection of the encoder and decoder), and the Space adds the
adapter's products back into a copy of the CTranslate2 weights (`shared.tasks.asr.load`). The checkpoint is the
adapter alone (peft's format, so it also loads onto `openai/whisper-tiny.en` with `PeftModel.from_pretrained`).

Served at half strength (`--serve-scale 0.5`: the saved lora_alpha is half the trained one, so peft, the Space and
the Hub export all add half the learned change to tiny.en: WiSE-FT's weight-space ensemble of the zero-shot and the
fine-tuned model). At full strength the adapter reads espeak-ng far better and real recordings worse; halfway it
keeps tiny.en's ear for people (benchmarks/asr_adapter_scale.py measures the trade-off).

Data (`shared.data.speech`): Brown-corpus sentences read by the English voices of espeak-ng that the test set
does not use (Scottish, Lancaster, West Midlands, New York), each with a random variant, pitch, speed and sample
rate (8 to 44.1 kHz), heard as the Space hears a file. Scores, through the Space's own code path (int8, beam 5):
- validation: held-out Brown documents, read the same way (unseen sentences, training voices);
- test: the espeak set of benchmarks/asr_wer.py (40 Harvard sentences, the four *other* voices, 2 speeds, 8 / 16 /
  44.1 kHz): no sentence and no voice of it is in training;
- real recordings (pocketsphinx's test data): what the adapter must not break.
Baseline: the packaged Whisper tiny.en without the adapter, on the same clips.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch

from shared import hub, whisper_ct2
from shared.data import speech
from shared.tasks import asr
from training import common

CARD = {"title": "Whisper tiny.en + LoRA for synthetic (espeak-ng) speech", "license": "mit",
        "datasets": ["brown"], "pipeline_tag": "automatic-speech-recognition",
        "task_name": "Automatic Speech Recognition", "tags": ["whisper", "lora", "peft", "espeak-ng", "ctranslate2"],
        "library_name": "peft", "base_model": "openai/whisper-tiny.en", "hub_id": hub.HUB_IDS["asr"]}
TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]
N_FRAMES = 3000  # Whisper's 30 s window of log-mel frames


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-asr", hub_model_id=hub.HUB_IDS.get("asr"),
                           data_parallel=False)
    g = parser.add_argument_group("training options")
    g.add_argument("--model", default=hub.WHISPER_TINY_EN,
                   help="a CTranslate2 Whisper (Hub id or folder; default the packaged tiny.en)")
    g.add_argument("--train-clips", type=int, default=6_000, help="training sentences, one reading each")
    g.add_argument("--validation-clips", type=int, default=200)
    g.add_argument("--epochs", type=float, default=1.0)
    g.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (warm-up, then linear decay)")
    g.add_argument("--batch-size", type=int, default=16)
    g.add_argument("--rank", type=int, default=32, help="LoRA rank (alpha = 2 x rank)")
    g.add_argument("--serve-scale", type=float, default=0.5,
                   help="the share of the trained change the saved adapter adds (its lora_alpha = alpha x this); "
                        "with --rescore, set it anew on a trained folder")
    g.add_argument("--save-every", type=int, default=50, help="steps between resumable checkpoints")
    g.add_argument("--test-sentences", type=int, default=40, help="Harvard sentences in the test set (at most 40)")
    g.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    g.add_argument("--resume", action="store_true", help="continue from the last step in OUTPUT_DIR/checkpoints")
    return parser


# ---------------------------------------------------------------------------------------------- data

class Batcher:
    """Clips -> (log-mel features (n, 80, 3000), decoder input ids, targets) as faster-whisper will see them:
    its feature extractor on the Space's 16 kHz samples; the decoder reads <|startoftranscript|><|notimestamps|>
    then the text, and learns the text and <|endoftext|> (the prompt itself is not a target)."""

    def __init__(self, folder: Path):
        from faster_whisper.feature_extractor import FeatureExtractor
        from tokenizers import Tokenizer

        self.features = FeatureExtractor(feature_size=80)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        token = self.tokenizer.token_to_id
        self.prompt = [token("<|startoftranscript|>"), token("<|notimestamps|>")]
        self.eot = token("<|endoftext|>")

    def mel(self, samples: np.ndarray) -> np.ndarray:
        samples = samples[:30 * asr.SAMPLE_RATE]
        padded = np.pad(samples, (0, 30 * asr.SAMPLE_RATE - len(samples)))
        return self.features(padded)[:, :N_FRAMES]

    def __call__(self, clips: list[dict]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mels = np.stack([self.mel(speech.as_heard(c["pcm"], c["rate"])) for c in clips])
        texts = [self.tokenizer.encode(" " + c["text"], add_special_tokens=False).ids for c in clips]
        width = len(self.prompt) + max(map(len, texts))
        inputs = torch.full((len(clips), width), self.eot)
        targets = torch.full((len(clips), width), -100)
        for i, ids in enumerate(texts):
            sequence = self.prompt + ids
            inputs[i, :len(sequence)] = torch.tensor(sequence)
            targets[i, len(self.prompt) - 1:len(sequence)] = torch.tensor(ids + [self.eot])
        return torch.from_numpy(mels), inputs, targets


def load_data(args) -> dict[str, list[dict]]:
    """{"train", "validation"}: clips from Brown sentences (`shared.data.speech`), seeded."""
    sentences = speech.brown_sentences(common.SMOKE_DATA / "brown" if args.smoke else None)
    rng = random.Random(args.seed)
    n_train = common.SMOKE_EXAMPLES if args.smoke else args.train_clips
    train = rng.sample(sentences["train"], min(n_train, len(sentences["train"])))
    validation = rng.sample(sentences["validation"], min(args.validation_clips, len(sentences["validation"])))
    if args.smoke:
        return {"train": speech.training_clips(train, seed=args.seed), "validation": []}
    return {"train": speech.training_clips(train, seed=args.seed),
            "validation": speech.training_clips(validation, seed=args.seed + 1)}


# ---------------------------------------------------------------------------------------------- model

def base_folder(model: str) -> Path:
    where = Path(hub.base_model_path(model))
    if not (where / "model.bin").is_file():
        common.fail(f"{model} is not a CTranslate2 Whisper folder (model.bin); pass one with --model.")
    return where


def with_lora(folder: Path, rank: int):
    from peft import LoraConfig, get_peft_model

    model = whisper_ct2.to_transformers(folder)
    model.name_or_path = asr.base_name(folder)  # what peft writes into adapter_config.json as the base
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05, target_modules=TARGET_MODULES, bias="none")
    return get_peft_model(model, config)


def batch_loss(model, batch, device, bf16: bool) -> torch.Tensor:
    mels, inputs, targets = (t.to(device) for t in batch)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = model(input_features=mels, decoder_input_ids=inputs).logits
    return torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), ignore_index=-100)


def train(args, data: dict, folder: Path, batcher: Batcher):
    """A plain loop (AdamW, linear warm-up and decay, bf16 autocast where the device has it); a resumable
    checkpoint (adapter + optimizer + seconds spent so far) every --save-every steps.
    Returns (peft model, history, training seconds over every run that led to it)."""
    settings = common.device_settings(cpu_bf16=True)
    device = torch.device("cpu" if settings["use_cpu"] else "cuda")
    bf16 = settings["bf16"] or settings["fp16"]
    model = with_lora(base_folder(args.model), args.rank).to(device)
    model.print_trainable_parameters()
    clips = data["train"]
    steps_per_epoch = math.ceil(len(clips) / args.batch_size)
    total = common.SMOKE_STEPS if args.smoke else max(1, round(args.epochs * steps_per_epoch))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=common.SMOKE_LR if args.smoke else args.lr, weight_decay=0.01)
    warmup = 0 if args.smoke else max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / (warmup + 1), max(0.0, (total - s) / max(1, total - warmup))))
    history: list[dict] = []
    start, spent, began = 0, 0.0, time.time()
    resume = common.resume_checkpoint(args)
    if resume:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        set_peft_model_state_dict(model, load_file(Path(resume) / "adapter_model.safetensors"))
        state = torch.load(Path(resume) / "state.pt", weights_only=True)  # tensors and numbers only
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        history, start, spent = state["history"], state["step"], state.get("seconds", 0.0)
    if args.smoke:  # the ch8 check: overfit one batch
        batch = batcher(clips)
        with torch.no_grad():
            model.eval()
            before = batch_loss(model, batch, device, bf16).item()
        model.train()
        for _ in range(total):
            loss = batch_loss(model, batch, device, bf16)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            schedule.step()
        model.eval()
        with torch.no_grad():
            after = batch_loss(model, batch, device, bf16).item()
        common.check_smoke(before, after, len(clips), total)
        return model.cpu(), [{"loss": before, "step": 0}, {"loss": after, "step": total}], time.time() - began
    validation = [batcher(data["validation"][i:i + args.batch_size])
                  for i in range(0, min(64, len(data["validation"])), args.batch_size)]

    def validation_loss() -> float:
        model.eval()
        with torch.no_grad():
            value = float(np.mean([batch_loss(model, b, device, bf16).item() for b in validation]))
        model.train()
        return value

    model.train()
    bar = common.progress(range(start, total), desc="steps", unit="step", mininterval=10, initial=start, total=total)
    for step in bar:
        epoch, at = divmod(step, steps_per_epoch)
        order = random.Random(args.seed + epoch).sample(range(len(clips)), len(clips))
        batch = batcher([clips[i] for i in order[at * args.batch_size:(at + 1) * args.batch_size]])
        loss = batch_loss(model, batch, device, bf16)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad()
        schedule.step()
        if step % 10 == 0:
            history.append({"loss": loss.item(), "step": step, "lr": schedule.get_last_lr()[0]})
            bar.set_postfix(loss=f"{loss.item():.3f}")
        done = step + 1
        if done % args.save_every == 0 or done == total:
            history.append({"eval_loss": validation_loss(), "step": done})
            print(f"step {done}/{total}: validation loss {history[-1]['eval_loss']:.4f}", flush=True)
            keep = common.checkpoints_dir(folder) / f"step-{done}"
            model.save_pretrained(keep, save_embedding_layers=False)
            torch.save({"optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(), "history": history,
                        "step": done, "seconds": spent + time.time() - began}, keep / "state.pt")
    return model.cpu().eval(), history, spent + time.time() - began


def save_adapter(model, folder: Path) -> None:
    """peft's adapter folder, its tensors stored as float16 (half the size; `shared.whisper_ct2.lora_deltas` and
    peft read them back in float32)."""
    from safetensors.torch import load_file, save_file

    model.save_pretrained(folder, save_embedding_layers=False)  # LoRA matrices only, whatever the base
    path = folder / "adapter_model.safetensors"
    save_file({k: v.half() for k, v in load_file(path).items()}, path, metadata={"format": "pt"})


def serve_at(folder: Path, scale: float, alpha: float) -> None:
    """Set the saved adapter's lora_alpha to `alpha` (the trained one) x `scale`: whatever loads it (peft,
    `shared.whisper_ct2.add_lora`, the Hub export) then adds `scale` x the learned change to the base weights."""
    path = folder / "adapter_config.json"
    config = json.loads(path.read_text())
    config["lora_alpha"] = alpha * scale
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------------------------- scores

def transcribe(model_folder: Path, clips: list[dict]) -> list[str]:
    """Each clip through the Space's code path (`shared.tasks.asr.predict`: reading, resampling, int8, beam 5);
    "no speech found" counts as an empty transcript."""
    from shared import modeling
    from shared.tasks import InputError

    modeling.clear_cache()
    out = []
    for clip in common.progress(clips, desc=f"transcribing ({model_folder.name})", unit="clip", mininterval=20):
        audio = str(clip["path"]) if "path" in clip else (clip["rate"], clip["pcm"])
        try:
            out.append(asr.predict(audio, model=str(model_folder)).value)
        except InputError:
            out.append("")
    return out


def wer_rows(clips: list[dict], hypotheses: list[str], key: str) -> dict[str, float]:
    from shared.metrics.speech import wer

    return {str(v): wer([c["text"] for c, h in zip(clips, hypotheses) if c[key] == v],
                        [h for c, h in zip(clips, hypotheses) if c[key] == v])
            for v in sorted({c[key] for c in clips}, key=str)}


def score(folder: Path, data: dict, args) -> dict:
    """WER of the base Whisper and of base + adapter on the validation, test and real sets."""
    import tempfile

    from shared.metrics.speech import wer

    base = base_folder(args.model)
    tuned = asr.with_adapter(base, folder)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = {"validation": data["validation"],
                "test": speech.espeak_set(Path(tmp), speech.SENTENCES[:args.test_sentences]),
                "real": speech.real_set()}
        for name, clips in sets.items():
            refs = [c["text"] for c in clips]
            ours, theirs = transcribe(tuned, clips), transcribe(base, clips)
            results[name] = {"clips": len(clips), "wer": wer(refs, ours), "baseline": wer(refs, theirs)}
            if name == "test":
                for key in ("rate", "voice", "speed"):
                    results[name][f"by_{key}"] = wer_rows(clips, ours, key)
                    results[name][f"baseline_by_{key}"] = wer_rows(clips, theirs, key)
                worst = sorted(range(len(clips)), key=lambda i: -wer([refs[i]], [ours[i]]))[:5]
                results[name]["hardest"] = [{"text": refs[i], "heard": ours[i], "voice": clips[i]["voice"],
                                             "rate": clips[i]["rate"]} for i in worst]
            if name == "real":
                results[name]["by_source"] = wer_rows(clips, ours, "source")
                results[name]["baseline_by_source"] = wer_rows(clips, theirs, "source")
            print(f"{name}: WER {results[name]['wer']:.3f} (base Whisper {results[name]['baseline']:.3f}, "
                  f"{len(clips)} clips)", flush=True)
    return results


DATASET_IDS = {"test": "espeak-ng", "real": "pocketsphinx", "validation": "brown"}  # the model-index groups by these


def results(test: dict) -> list[dict]:
    names = {"validation": f"validation: unseen Brown sentences, training voices ({test['validation']['clips']} clips)",
             "test": f"test: Harvard sentences, held-out voices, 8/16/44.1 kHz ({test['test']['clips']} clips)",
             "real": f"real recordings, pocketsphinx test data ({test['real']['clips']} clips)"}
    return [{"split": names[k], "metric": "wer", "value": test[k]["wer"], "baseline": "Whisper tiny.en (no adapter)",
             "baseline_value": test[k]["baseline"], "dataset_id": DATASET_IDS[k],
             "lower_is_better": True} for k in ("test", "real", "validation")]  # the first is the card's headline


def main(argv: list[str] | None = None) -> dict:
    args = common.parse_args(build_parser(), argv)
    folder = Path(args.output_dir)
    if args.card_only:
        return common.rewrite(folder, "asr")
    torch.manual_seed(args.seed)
    data = load_data(args)
    if args.rescore:
        metrics = common.read_metrics(folder)
        serve_at(folder, args.serve_scale, metrics["hyperparameters"]["alpha"])
        metrics["hyperparameters"]["serve_scale"] = args.serve_scale
        metrics["test"] = score(folder, data, args)
        metrics.update(results=results(metrics["test"]), rescored="re-measured from the saved folder with --rescore")
        return common.rewrite(folder, "asr", metrics)
    print({side: len(clips) for side, clips in data.items()}, flush=True)
    batcher = Batcher(base_folder(args.model))
    model, history, train_seconds = train(args, data, folder, batcher)
    save_adapter(model, folder)
    serve_at(folder, args.serve_scale, 2 * args.rank)
    test = score(folder, data, args) if not args.smoke else {}
    trainable, total = model.get_nb_trainable_parameters()
    seconds = sum(len(c["pcm"]) / c["rate"] for c in data["train"])
    metrics = {"task": asr.TASK, "smoke": args.smoke, "base_model": CARD["base_model"],
               "data": {"train": len(data["train"]), "train_minutes": round(seconds / 60, 1),
                        "validation": len(data["validation"]), "voices": list(speech.TRAIN_VOICES),
                        "variants": list(speech.VARIANTS), "rates": list(speech.TRAIN_RATES),
                        "speeds": list(speech.TRAIN_SPEEDS), "pitches": list(speech.TRAIN_PITCHES)},
               "test": test,
               "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                                   "rank": args.rank, "alpha": 2 * args.rank, "serve_scale": args.serve_scale,
                                   "dropout": 0.05,
                                   "target_modules": TARGET_MODULES, "seed": args.seed,
                                   "precision": common.precision_name(common.device_settings(cpu_bf16=True))},
               "parameters": {"trainable": trainable, "total": total},
               "train_seconds": round(train_seconds, 1), "environment": common.environment(),
               "card": CARD,
               "results": results(test) if test else [
                   {"split": "smoke batch", "metric": "loss", "value": history[-1]["loss"], "baseline": "before",
                    "baseline_value": history[0]["loss"], "dataset_id": "espeak-ng", "lower_is_better": True}]}
    common.finish(args, metrics, card="asr", log_history=history, metric="loss", title=CARD["title"])
    return metrics


if __name__ == "__main__":
    main()
