"""Does a decode setting or a change to the audio bring the ASR model's word error rate down on espeak speech?

    python benchmarks/asr_settings.py [--sentences 10] [--model FOLDER_OR_ID]

The espeak set of benchmarks/asr_wer.py (its first --sentences Harvard sentences x 4 voices x 2 speeds) at 8 kHz
and 16 kHz, read as the Space reads a file (`shared.tasks.asr.check`), then transcribed in this process by the
faster-whisper model with the Space's settings (`asr.DECODE`) and with one change at a time: no VAD, greedy
search, no timestamps, no temperature fallback, peak normalisation, silence added before and/or after the clip.
Prints one table (WER per rate, seconds) with the CPU model. Prints only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shared.data.speech import SENTENCES, espeak_set  # noqa: E402
from shared.metrics.speech import wer  # noqa: E402
from shared.modeling import cpu_model  # noqa: E402
from shared.tasks import asr  # noqa: E402


def silence(before: float, after: float):
    def add(x):
        return np.concatenate([np.zeros(int(before * asr.SAMPLE_RATE), np.float32), x,
                               np.zeros(int(after * asr.SAMPLE_RATE), np.float32)])
    return add


def peak(x):
    return (0.9 * x / max(1e-6, float(np.abs(x).max()))).astype(np.float32)


VARIANTS = {  # name -> (changes to asr.DECODE, change to the samples)
    "the Space's settings": ({}, None),
    "no VAD": ({"vad_filter": False}, None),
    "greedy (beam 1)": ({"beam_size": 1}, None),
    "no VAD, no timestamps": ({"vad_filter": False, "without_timestamps": True}, None),
    "no VAD, temperature 0 only (no fallback)": ({"vad_filter": False, "temperature": 0.0}, None),
    "peak-normalised to 0.9": ({}, peak),
    "0.25 s of silence before and after": ({}, silence(0.25, 0.25)),
    "0.5 s of silence before and after": ({}, silence(0.5, 0.5)),
    "1 s of silence before and after": ({}, silence(1.0, 1.0)),
    "0.5 s of silence before": ({}, silence(0.5, 0)),
    "0.5 s of silence after": ({}, silence(0, 0.5)),
}
RATES = (8_000, 16_000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=10, help="Harvard sentences (default 10, at most 40)")
    parser.add_argument("--model", help="a faster-whisper folder or Hub id (default: the Space's English model)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        clips = [c for c in espeak_set(Path(tmp), SENTENCES[:args.sentences]) if c["rate"] in RATES]
        for clip in clips:
            clip["samples"] = asr.check(str(clip["path"]))
    kind, net = asr.load(args.model)
    if kind != "faster-whisper":
        sys.exit("asr_settings.py measures faster-whisper's settings: pass a CTranslate2 model")
    texts = [c["text"] for c in clips]
    print(f"{len(clips)} clips ({args.sentences} sentences x 4 voices x 2 speeds x {len(RATES)} rates), "
          f"CPU: {cpu_model()}", flush=True)
    print("\n| setting | WER, all | 8 kHz | 16 kHz | seconds |\n|---|---:|---:|---:|---:|", flush=True)
    for name, (changes, change) in VARIANTS.items():
        start = time.perf_counter()
        heard = []
        for clip in clips:
            segments, _ = net.transcribe(change(clip["samples"]) if change else clip["samples"], language="en",
                                         **{**asr.DECODE, **changes})
            heard.append(" ".join(s.text.strip() for s in segments))
        per_rate = [wer([t for t, c in zip(texts, clips) if c["rate"] == rate],
                        [h for h, c in zip(heard, clips) if c["rate"] == rate]) for rate in RATES]
        print(f"| {name} | {wer(texts, heard):.3f} | " + " | ".join(f"{w:.3f}" for w in per_rate)
              + f" | {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()
