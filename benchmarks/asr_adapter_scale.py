"""How much of the ASR adapter's learned change to serve: word error rate on espeak-ng and on real speech.

    python benchmarks/asr_adapter_scale.py [--adapter checkpoints/asr] [--every 6] [--scales 0,0.25,0.5,0.75,1]

The adapter (training.asr) moves Whisper tiny.en towards espeak-ng's voices. Served at a share s of its change
(lora_alpha x s: s = 0 is plain tiny.en, 1 the fine-tuned model, between them WiSE-FT's weight-space ensemble), it
trades synthetic speech against real speech; so does serving the encoder's change alone. Each variant transcribes
every `--every`-th clip of the espeak test set (`shared.data.speech.espeak_set`: voices and sentences that training
never saw) and the real recordings that pocketsphinx ships, through `shared.tasks.asr.predict` (int8, beam 5).
Prints one table with the CPU model; --results writes it into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.speed import write_section  # noqa: E402
from shared import hub, whisper_ct2  # noqa: E402
from shared.data import speech  # noqa: E402
from shared.metrics.speech import wer  # noqa: E402
from shared.modeling import cpu_model  # noqa: E402
from shared.tasks import asr  # noqa: E402
from training.asr import serve_at, transcribe  # noqa: E402
from training.common import read_metrics  # noqa: E402


def variant(adapter: Path, out: Path, scale: float, encoder_only: bool = False) -> Path:
    """A copy of `adapter` served at `scale` of its trained change (its encoder's LoRA matrices only, if asked)."""
    from safetensors.numpy import load_file, save_file

    out.mkdir(parents=True)
    shutil.copyfile(adapter / "adapter_config.json", out / "adapter_config.json")
    serve_at(out, scale, read_metrics(adapter)["hyperparameters"]["alpha"])  # the alpha it was trained with
    tensors = load_file(adapter / "adapter_model.safetensors")
    save_file({k: v for k, v in tensors.items() if not encoder_only or ".encoder." in k},
              out / "adapter_model.safetensors")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adapter", default=str((hub.CHECKPOINTS_DIR / "asr").relative_to(REPO)))
    parser.add_argument("--every", type=int, default=6, help="take every n-th clip of the 960 espeak test clips")
    parser.add_argument("--scales", default="0,0.25,0.5,0.75,1")
    parser.add_argument("--results", action="store_true", help="write the table into benchmarks/RESULTS.md")
    args = parser.parse_args()
    adapter, base = Path(args.adapter), asr.adapter_base(args.adapter)
    scales = [float(s) for s in args.scales.split(",")]
    tmp = Path(tempfile.mkdtemp())
    try:
        (tmp / "espeak").mkdir()
        every_clip, real = speech.espeak_set(tmp / "espeak"), speech.real_set()
        test = every_clip[::args.every]
        variants = [(f"share {s:g}" + (" (plain tiny.en)" if s == 0 else ""), s, False) for s in scales]
        variants.append(("share 1, encoder only", 1.0, True))
        rows = []
        for i, (name, scale, encoder_only) in enumerate(variants):
            folder = base if scale == 0 else whisper_ct2.add_lora(
                base, variant(adapter, tmp / f"adapter-{i}", scale, encoder_only), tmp / f"model-{i}")
            start = time.perf_counter()
            espeak_heard, real_heard = transcribe(folder, test), transcribe(folder, real)
            seconds = time.perf_counter() - start
            rows.append((name, wer([c["text"] for c in test], espeak_heard),
                         wer([c["text"] for c in real], real_heard), seconds))
            print(f"{name}: espeak {rows[-1][1]:.3f}, real {rows[-1][2]:.3f}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = ["## asr: adapter strength", "",
             f"{datetime.date.today()}, `python benchmarks/asr_adapter_scale.py --every {args.every} --scales "
             f"{args.scales}` · adapter: {args.adapter} · CPU: {cpu_model()} · {len(test)} espeak test clips (every "
             f"{args.every}th of {len(every_clip)}), {len(real)} real recordings (pocketsphinx test data)", "",
             "| adapter served at (share of its trained change) | WER espeak test | WER real recordings | seconds |",
             "|---|---|---|---|"]
    lines += [f"| {name} | {espeak_wer:.3f} | {real_wer:.3f} | {seconds:.0f} |"
              for name, espeak_wer, real_wer, seconds in rows]
    table = "\n".join(lines) + "\n"
    print("\n" + table)
    if args.results:
        write_section(REPO / "benchmarks" / "RESULTS.md", "asr: adapter strength", table)


if __name__ == "__main__":
    main()
