"""Speech with transcripts, made offline: espeak-ng reading real sentences, and the recordings packages ship.

1. The espeak test set (`espeak_set`): the 40 Harvard sentences of lists 1-4 (IEEE 1969, the standard
   phonetically balanced test sentences: public domain), each spoken by espeak-ng in four English voices
   (`TEST_VOICES`: American, British, Received Pronunciation, Caribbean) at a slow and a fast speed, saved at 8 kHz,
   16 kHz and 44.1 kHz (44.1 kHz as stereo).
2. The espeak training set (`training_clips`): sentences of the Brown corpus (`shared.data.brown`: 1961 American
   prose, 15 genres), read by the *other* English voices of espeak-ng (`TRAIN_VOICES`: Scottish, Lancaster, West
   Midlands, New York), each with a random voice variant (pitch and timbre: espeak's m1-m8, f1-f5 and Klatt
   variants), pitch, speed and sample rate. Neither a test sentence nor a test voice is in it. Brown documents
   are split seeded into train and validation, so validation sentences are unseen too.
3. Real recordings (`real_set`): the LibriVox recordings (Jane Austen, "Sense and Sensibility", public domain)
   and the spoken card names and "go forward ten meters" of the pocketsphinx 5.1.1 sdist's test data (BSD), with
   their transcripts (downloaded once with pip into ~/.cache).

Every clip's audio is what the Space would hear: espeak's 22,050 Hz output saved as 16-bit PCM at the clip's
rate; `as_heard` then gives the 16 kHz mono float32 samples the Space's `shared.tasks.asr.check` makes of it.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("NLP_COURSE_CACHE", Path.home() / ".cache" / "nlp-course-live")) / "speech"

HARVARD = """The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.
It's easy to tell the depth of a well. These days a chicken leg is a rare dish. Rice is often served in round bowls.
The juice of lemons makes fine punch. The box was thrown beside the parked truck.
The hogs were fed chopped corn and garbage. Four hours of steady work faced us.
A large size in stockings is hard to sell. The boy was there when the sun rose. A rod is used to catch pink salmon.
The source of the huge river is the clear spring. Kick the ball straight and follow through.
Help the woman get back to her feet. A pot of tea helps to pass the evening. Smoky fires lack flame and heat.
The soft cushion broke the man's fall. The salt breeze came across from the sea.
The girl at the booth sold fifty bonds. The small pup gnawed a hole in the sock.
The fish twisted and turned on the bent hook. Press the pants and sew a button on the vest.
The swan dive was far short of perfect. The beauty of the view stunned the young boy.
Two blue fish swam in the tank. Her purse was full of useless trash. The colt reared and threw the tall rider.
It snowed, rained, and hailed the same morning. Read verse out loud for pleasure.
Hoist the load to your left shoulder. Take the winding path to reach the lake.
Note closely the size of the gas tank. Wipe the grease off his dirty face. Mend the coat before you go out.
The wrist was badly strained and hung limp. The stray cat gave birth to kittens.
The young girl gave no clear response. The meal was cooked before the bell rang.
What joy there is in living."""
SENTENCES = [s.strip() for s in re.findall(r"[^.]+\.", " ".join(HARVARD.split()))]
TEST_VOICES = {"en-us": "American", "en-gb": "British", "en-gb-x-rp": "Received Pronunciation", "en-029": "Caribbean"}
SPEEDS = (140, 180)  # words per minute: espeak's default is 175
RATES = (8_000, 16_000, 44_100)
# training: the other English accents of espeak-ng, and its voice variants (no test voice, no test sentence)
TRAIN_VOICES = ("en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc")
VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
            "klatt", "klatt2", "klatt3", "klatt4")
TRAIN_RATES = (8_000, 11_025, 16_000, 22_050, 44_100)
TRAIN_SPEEDS = (120, 220)  # uniform in this range, words per minute
TRAIN_PITCHES = (25, 75)  # espeak's -p (default 50)
ESPEAK_RATE = 22_050
POCKETSPHINX = "pocketsphinx==5.1.1"


def speak(text: str, voice: str, speed: int, pitch: int = 50) -> np.ndarray:
    """espeak-ng's reading of `text`: float32 mono samples at ESPEAK_RATE."""
    import soundfile as sf

    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                         check=True, capture_output=True).stdout
    data, rate = sf.read(io.BytesIO(wav), dtype="float32")
    assert rate == ESPEAK_RATE, rate
    return data


def at_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """espeak's samples as a 16-bit file at `rate` would hold them (int16)."""
    from shared.tasks.asr import resample

    out = resample(samples, ESPEAK_RATE, rate)
    return np.clip(np.round(out * 32767), -32768, 32767).astype(np.int16)


def as_heard(pcm: np.ndarray, rate: int) -> np.ndarray:
    """16-bit samples at `rate` -> the 16 kHz float32 samples the Space makes of them (`shared.tasks.asr.check`)."""
    from shared.tasks.asr import check

    return check((rate, pcm))


# ---------------------------------------------------------------------------------------------- test sets

def espeak_set(folder: Path, sentences: list[str] = SENTENCES) -> list[dict]:
    """[{path, text, voice, speed, rate, seconds}]: every sentence in every test voice and speed, at every rate, as
    WAV files in `folder`."""
    import soundfile as sf

    clips = []
    for voice, name in TEST_VOICES.items():
        for speed in SPEEDS:
            for i, text in enumerate(sentences):
                data = speak(text, voice, speed)
                for rate in RATES:
                    out = at_rate(data, rate)
                    if rate == 44_100:
                        out = np.stack([out, out], axis=1)
                    path = folder / f"{voice}-{speed}-{i}-{rate}.wav"
                    sf.write(path, out, rate, subtype="PCM_16")
                    clips.append({"path": path, "text": text, "voice": name, "speed": speed, "rate": rate,
                                  "seconds": len(out) / rate})
    return clips


def real_set() -> list[dict]:
    """[{path, text, source}]: the recordings with transcripts inside the pocketsphinx sdist (downloaded once)."""
    import soundfile as sf

    CACHE.mkdir(parents=True, exist_ok=True)
    sdists = list(CACHE.glob("pocketsphinx-*.tar.gz"))
    if not sdists:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", POCKETSPHINX,
                        "-d", str(CACHE)], check=True, capture_output=True)
        sdists = list(CACHE.glob("pocketsphinx-*.tar.gz"))
    root = CACHE / sdists[0].name.removesuffix(".tar.gz")
    if not root.is_dir():
        with tarfile.open(sdists[0]) as tar:
            members = [m for m in tar.getmembers() if "/test/data/" in m.name and
                       re.search(r"/(librivox|cards)/|goforward\.raw$", m.name)]
            tar.extractall(CACHE, members=members, filter="data")
    data = root / "test" / "data"
    clips = [{"path": w, "text": w.with_suffix(".txt").read_text().strip(), "source": "LibriVox (read book)"}
             for w in sorted((data / "librivox").glob("*.wav"))]
    for line in (data / "cards" / "cards.transcription").read_text().splitlines():
        text, name = re.match(r"<s>(.*)</s>\s*\((\w+)\)", line).groups()
        clips.append({"path": data / "cards" / f"{name}.wav", "text": text.strip(), "source": "card names (spoken)"})
    go = CACHE / "goforward.wav"
    sf.write(go, np.fromfile(data / "goforward.raw", dtype="<i2"), 16_000)
    clips.append({"path": go, "text": "go forward ten meters", "source": "command (spoken)"})
    return clips


# ---------------------------------------------------------------------------------------------- training set

def brown_sentences(brown_path: str | os.PathLike | None = None, *, min_words: int = 5, max_words: int = 18,
                    validation_fraction: float = 0.05, seed: int = 0) -> dict[str, list[str]]:
    """{"train", "validation"}: Brown sentences a person would read aloud as written (letters and plain punctuation
    only: no digits, quotes, brackets or abbreviations with dots inside), split by document; none of the Harvard
    test sentences."""
    from shared.data import brown

    plain = re.compile(r"[A-Z][A-Za-z ,;:'\-]*[a-z][.?!]")
    docs = brown.read_documents(brown_path)
    rng = random.Random(seed)
    names = sorted(d["document"] for d in docs)
    rng.shuffle(names)
    validation = set(names[:max(1, round(len(names) * validation_fraction))])
    test = {s.lower() for s in SENTENCES}
    out: dict[str, list[str]] = {"train": [], "validation": []}
    for doc in docs:
        for tokens in doc["sentences"]:
            text = brown.detokenize(tokens)
            if (plain.fullmatch(text) and min_words <= len(text.split()) <= max_words and "--" not in text
                    and text.lower() not in test):
                out["validation" if doc["document"] in validation else "train"].append(text)
    return out


def draw_reading(rng: random.Random) -> dict:
    """A random training voice: accent, variant, speed, pitch and the rate of the file."""
    voice = rng.choice(TRAIN_VOICES)
    variant = rng.choice(VARIANTS)
    return {"voice": f"{voice}+{variant}" if variant else voice, "speed": rng.randint(*TRAIN_SPEEDS),
            "pitch": rng.randint(*TRAIN_PITCHES), "rate": rng.choice(TRAIN_RATES)}


def training_clips(sentences: list[str], *, seed: int = 0, workers: int = 2) -> list[dict]:
    """[{text, voice, speed, pitch, rate, pcm (int16 at rate)}]: each sentence read once by a random training voice
    (`draw_reading`, seeded). Cached under ~/.cache, keyed by the sentences, seed and voice lists."""
    import json

    key = hashlib.sha1(repr((sentences, seed, TRAIN_VOICES, VARIANTS, TRAIN_RATES, TRAIN_SPEEDS,
                             TRAIN_PITCHES)).encode()).hexdigest()[:16]
    cache = CACHE / f"espeak-train-{key}.npz"
    if cache.is_file():
        with np.load(cache) as saved:
            parts = np.split(saved["pcm"], np.cumsum(saved["lengths"])[:-1])
            return [{**reading, "pcm": pcm} for reading, pcm in zip(json.loads(str(saved["readings"])), parts)]
    from tqdm.auto import tqdm

    rng = random.Random(seed)
    readings = [{"text": text, **draw_reading(rng)} for text in sentences]

    def make(reading: dict) -> dict:
        audio = speak(reading["text"], reading["voice"], reading["speed"], reading["pitch"])
        return {**reading, "pcm": at_rate(audio, reading["rate"])}

    with ThreadPoolExecutor(workers) as pool:  # espeak runs in subprocesses: threads are enough
        clips = list(tqdm(pool.map(make, readings), total=len(readings), desc="espeak-ng", unit="clip",
                          mininterval=10))
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".partial.npz")
    np.savez(partial, pcm=np.concatenate([c["pcm"] for c in clips]), lengths=[len(c["pcm"]) for c in clips],
             readings=json.dumps([{k: v for k, v in c.items() if k != "pcm"} for c in clips]))
    partial.replace(cache)
    return clips
