"""Word error rate of the speech-recognition Space, on speech made with espeak-ng and on real recordings.

    python benchmarks/asr_wer.py [--model FOLDER_OR_ID] [--quick]

The two sets are built by `shared.data.speech` (training.asr scores its adapter on the same clips):
1. The espeak set: the 40 Harvard sentences of lists 1-4 (IEEE 1969, the standard phonetically balanced test
   sentences: public domain), each spoken by espeak-ng in four English voices (American, British, Received
   Pronunciation, a Caribbean variant) at a slow and a fast speed, and saved at 8 kHz, 16 kHz and 44.1 kHz (mono;
   44.1 kHz as stereo). 40 x 4 x 2 = 320 clips per rate, 960 in all; --quick takes 10 sentences. None of these
   voices or sentences is in the adapter's training data.
2. Real speech that packages ship: the LibriVox recordings (Jane Austen, "Sense and Sensibility", public domain)
   and the spoken card names and "go forward ten meters" of the pocketsphinx 5.1.1 sdist's test data (BSD),
   with their transcripts (downloaded once with pip into ~/.cache).

Every clip goes through the Space: spaces/asr/app.py started in a subprocess, called with gradio_client, so the
figure includes the Space's own reading, downmixing and resampling. WER is corpus-level (shared.metrics.speech:
case, punctuation and digits-vs-number-words normalised). Prints one table (by rate, voice and speed) with the
CPU model, and with --results writes it into benchmarks/RESULTS.md.
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

from benchmarks.local_space import run_app  # noqa: E402
from benchmarks.speed import write_section  # noqa: E402
from shared.data.speech import RATES, SENTENCES, SPEEDS, TEST_VOICES, espeak_set, real_set  # noqa: E402
from shared.metrics.speech import wer  # noqa: E402
from shared.modeling import cpu_model  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"


def transcribe(client, clips: list[dict]) -> float:
    """Each clip's transcript through the Space; a refusal ("No speech found") counts as an empty transcript."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    start = time.perf_counter()
    for i, clip in enumerate(clips):
        try:
            clip["hypothesis"] = client.predict(handle_file(str(clip["path"])), api_name="/predict")
        except AppError as e:
            clip["hypothesis"], clip["refused"] = "", str(e)
        if (i + 1) % 100 == 0:
            print(f"{i + 1}/{len(clips)} clips, {time.perf_counter() - start:.0f} s", flush=True)
    return time.perf_counter() - start


def rows(clips: list[dict], key: str) -> list[tuple[str, int, float]]:
    out = []
    for value in sorted({c[key] for c in clips}, key=str):
        group = [c for c in clips if c[key] == value]
        out.append((str(value), len(group), wer([c["text"] for c in group], [c["hypothesis"] for c in group])))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="ASR_MODEL for the Space: a CTranslate2 or adapter folder or a Hub id "
                        "(default: the Space's own, checkpoints/asr; Systran/faster-whisper-tiny.en for plain "
                        "tiny.en)")
    parser.add_argument("--quick", action="store_true", help="10 sentences instead of 40")
    parser.add_argument("--results", action="store_true", help="write the table into benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    if not shutil.which("espeak-ng"):
        sys.exit("espeak-ng is needed: apt-get install espeak-ng")
    from gradio_client import Client

    sentences = SENTENCES[:10] if args.quick else SENTENCES
    env = {"ASR_MODEL": args.model} if args.model else {}
    with tempfile.TemporaryDirectory() as tmp, run_app(REPO / "spaces" / "asr", env=env, timeout=300) as (url, _, _):
        clips, real = espeak_set(Path(tmp), sentences), real_set()
        client = Client(url, verbose=False)
        seconds = transcribe(client, clips)
        transcribe(client, real)
    audio = sum(c["seconds"] for c in clips)
    model = (args.model or "the Space's default, checkpoints/asr (tiny.en + adapter)") + ", int8, beam 5"
    name = f"asr: {Path(args.model).name if args.model else 'default (checkpoints/asr)'}"  # its section of RESULTS.md
    lines = [f"## {name}", "", f"Speech recognition WER, {datetime.date.today()}, "
             f"`python benchmarks/asr_wer.py{' --quick' if args.quick else ''}"
             f"{f' --model {args.model}' if args.model else ''}` · model: {model} · CPU: {cpu_model()}",
             "", f"espeak-ng set: {len(sentences)} Harvard sentences x {len(TEST_VOICES)} voices x {len(SPEEDS)} speeds "
             f"x {len(RATES)} rates = {len(clips)} clips, {audio / 60:.1f} min of audio, transcribed through the Space "
             f"in {seconds:.0f} s ({audio / seconds:.1f}x real time).", "",
             "| group | clips | WER |", "|---|---|---|",
             f"| **espeak-ng, all** | {len(clips)} | **{wer([c['text'] for c in clips], [c['hypothesis'] for c in clips]):.3f}** |"]
    for key, name in (("rate", "sample rate (Hz)"), ("voice", "voice"), ("speed", "speed (words/min)")):
        lines += [f"| {name}: {value} | {n} | {score:.3f} |" for value, n, score in rows(clips, key)]
    lines.append(f"| **real recordings (pocketsphinx test data), all** | {len(real)} | "
                 f"**{wer([c['text'] for c in real], [c['hypothesis'] for c in real]):.3f}** |")
    lines += [f"| real: {value} | {n} | {score:.3f} |" for value, n, score in rows(real, "source")]
    refused = [c for c in clips + real if c.get("refused")]
    if refused:
        lines += ["", f"Refused as having no speech: {len(refused)} clip(s): "
                  + "; ".join(f"{c.get('voice', c.get('source'))}, {c.get('speed', '')} {c.get('rate', '')} "
                              f"\"{c['text']}\"" for c in refused[:10])]
    worst = sorted(clips, key=lambda c: -wer([c["text"]], [c["hypothesis"]]))[:5]
    lines += ["", "Hardest clips:", ""] + [f"- {c['voice']}, {c['speed']} wpm, {c['rate']} Hz: \"{c['text']}\" → "
                                           f"\"{c['hypothesis']}\"" for c in worst]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.results:
        write_section(RESULTS, name, table)


if __name__ == "__main__":
    main()
