"""The whole suite under a visitor's eyes and under load: start, warm-up, memory, leaks, many clients, fairness.

    python benchmarks/suite.py [--quick] [--only start,warm,fair,load,leak] [--env KEY=VALUE ...]

Starts `python spaces/suite/app.py` in a subprocess on 127.0.0.1 (benchmarks.local_space.run_app) and talks to it
over plain HTTP, as a browser tab does (POST /gradio_api/call/<api_name>, then read its event stream; files
uploaded first; each client in one Gradio session, as a tab is): benchmarks/endpoints.py's transport, with the
same normal input per endpoint as the contract test (tests/test_contract.py). Sections, in this order:
- start: seconds from process start until it prints its URL, and until GET / returns the page (HTTP 200);
- warm: one real request on every endpoint of every tab, one client per tab, all tabs at once, sent as soon as
  the page is served: seconds from process start until every tab has answered, per tab; then each endpoint once
  more, alone (its warm latency); and the RSS of the suite (psutil: the process and its children) with every
  tab warm. Always run: the other sections need a warm suite;
- fair: sentiment p50/p95 from one client alone, then while the chatbot streams a long answer (max new tokens
  at the chat's cap), the speech tab transcribes a 60 s clip (espeak-ng) and the tokenizer lab trains a
  tokenizer on a 1.9 MB upload, each restarted as soon as it ends until the sentiment requests are done;
- load: 16 clients x 50 requests spread over every endpoint (a seeded shuffle of round-robin order): errors
  (must be 0) and p50/p95 per endpoint;
- leak: 5,000 mixed requests (4 clients) over the fast endpoints (warm latency under --fast-ms), each call a new
  Gradio session (no session named, as bare HTTP calls from a script): RSS before, every 10%, and after; growth.
The RSS is also read after each section: its growth from warm to the end covers the long jobs too.
Prints a markdown table (CPU model, core count, versions, target vs measured); the full run (no --quick) writes it
as the `## suite` section of benchmarks/RESULTS.md (speed.py's write_section: the other sections kept).
--quick is a development run: fewer requests (fair 30, load 16 x 8, leak 300), printed only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import re
import runpy
import shlex
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import psutil
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.endpoints import Endpoint, Http, endpoints, speech  # noqa: E402
from benchmarks.local_space import run_app  # noqa: E402
from benchmarks.speed import RESULTS, SENTIMENT_TEXTS, cpu_model, versions, write_section  # noqa: E402

SUITE = REPO / "spaces" / "suite"
ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
SECTIONS = ("start", "warm", "fair", "load", "leak")
TIMEOUT = 600.0  # seconds a request may wait (a queued chat under 16 clients waits for the ones before it)
CLIP_SECONDS = 60
CORPUS_BYTES = 1_900_000  # the tokenizer lab takes uploads up to 2 MB
CHAT_PROMPT = ("Write a long, detailed story, at least fifteen paragraphs, about a lighthouse keeper who teaches "
               "herself to program during one winter. Describe every day of that winter.")
TARGETS = {"page": 5.0, "warm": 30.0, "rss": 2 * 1024**3, "growth": 10.0}


# -------------------------------------------------------------------------------------------- helpers

def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`; nan when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(np.ceil(q / 100 * len(ordered))) - 1))]


def ms(seconds: float) -> str:
    return "n/a" if seconds != seconds else f"{seconds * 1000:,.0f}"


def rss(pid: int) -> int:
    """Resident memory of process `pid` and all its children, in bytes."""
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def mib(n: int) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def suite_endpoints(folder: Path) -> list[tuple[Endpoint, list]]:
    """Every public endpoint of the suite with its normal input (the suite's Blocks built here, not served)."""
    demo = runpy.run_path(str(SUITE / "app.py"), run_name="suite_endpoints")["demo"]
    return [(e, e.good(folder)) for e in endpoints(demo)]


@dataclass
class Calls:
    """Latencies and errors, per endpoint."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, http: Http, api_name: str, values: list):
        t0 = time.perf_counter()
        try:
            kind, answer = http.call(api_name, values)
        except Exception as e:  # noqa: BLE001  (counted as an error of that endpoint)
            kind, answer = "error", f"{type(e).__name__}: {e}"
        seconds = time.perf_counter() - t0
        with self.lock:
            if kind == "complete":
                self.seconds[api_name].append(seconds)
            else:
                self.errors[api_name].append(str(answer)[:300])
        return kind, answer, seconds

    def count(self) -> tuple[int, int]:
        return sum(map(len, self.seconds.values())), sum(map(len, self.errors.values()))

    def all_seconds(self) -> list[float]:
        return [s for v in self.seconds.values() for s in v]


def run_clients(url: str, jobs: list[list[tuple[str, list]]], calls: Calls, on_done=None, session: bool = True
                ) -> float:
    """Each list of `jobs` (api_name, values) sent in order by its own client, all clients at once; wall seconds.
    `session`: each client in one Gradio session (a browser tab), or a new session per call (bare HTTP calls)."""
    start = threading.Barrier(len(jobs) + 1)

    def work(own):
        http = Http(url, timeout=TIMEOUT, session=session)
        start.wait()
        for api_name, values in own:
            calls.timed(http, api_name, values)
            if on_done:
                on_done()
        http.close()

    threads = [threading.Thread(target=work, args=(own,), daemon=True) for own in jobs]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def deal(pairs: list[tuple[str, list]], clients: int, per_client: int, seed: int = 0) -> list[list]:
    """clients x per_client requests: `pairs` in round-robin order, shuffled with `seed`, dealt to the clients."""
    order = [pairs[i % len(pairs)] for i in range(clients * per_client)]
    random.Random(seed).shuffle(order)
    return [order[k::clients] for k in range(clients)]


# ------------------------------------------------------------------------------------------- inputs

def sixty_second_clip(folder: Path) -> Path:
    """CLIP_SECONDS of English speech (espeak-ng reading the catalog's blurbs), 16-bit WAV."""
    from shared import catalog

    text = " ".join(d.blurb.en.replace("`", "") for d in catalog.DEMOS)
    raw = speech(folder / "blurbs.wav", text)
    data, sr = sf.read(raw, dtype="int16")
    while len(data) < CLIP_SECONDS * sr:
        data = np.concatenate([data, data])
    path = folder / f"speech-{CLIP_SECONDS}s.wav"
    sf.write(path, data[: CLIP_SECONDS * sr], sr, subtype="PCM_16")
    return path


def corpus_file(folder: Path) -> Path:
    """CORPUS_BYTES of real text for the tokenizer lab: the Python standard library's sources, in name order."""
    stdlib = Path(os.__file__).parent
    parts, size = [], 0
    for source in sorted(stdlib.glob("*.py")):
        text = source.read_text(encoding="utf-8", errors="ignore")
        parts.append(text)
        size += len(text.encode())
        if size >= CORPUS_BYTES:
            break
    path = folder / "corpus.txt"
    path.write_bytes("\n".join(parts).encode()[:CORPUS_BYTES].decode(errors="ignore").encode())
    return path


def long_jobs(cases: dict[str, tuple[Endpoint, list]], folder: Path) -> dict[str, list]:
    """The fairness section's long jobs: (api_name -> values) for the chat, the 60 s clip, the tokenizer training."""
    chat, chat_values = cases["chatbot"]
    values = list(chat_values)
    values[0] = CHAT_PROMPT
    slider = chat.components[2]  # message, system prompt, max new tokens, temperature
    values[2] = int(slider.maximum)
    values[3] = 0.7
    asr_values = list(cases["asr"][1])
    asr_values[0] = sixty_second_clip(folder)
    train, train_values = cases["tokenizer_lab_train"]
    train_values = list(train_values)
    train_values[1] = corpus_file(folder)  # corpus, upload, kind, vocabulary size, sample
    train_values[2] = "BPE"
    train_values[3] = int(train.components[3].maximum)
    return {"chatbot": values, "asr": asr_values, "tokenizer_lab_train": train_values}


# ------------------------------------------------------------------------------------------- sections

def measure_start(url: str, started: float, printed: float) -> dict:
    with httpx.Client(timeout=30) as http:
        while True:
            try:
                page = http.get(url)
                if page.status_code == 200 and "<html" in page.text.lower():
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    return {"url_s": printed - started, "page_s": time.perf_counter() - started, "page_kb": len(page.content) / 1024}


def measure_warm(url: str, cases: list[tuple[Endpoint, list]], started: float, pid: int) -> dict:
    """First answers, all tabs at once from one client each; then each endpoint alone; then RSS."""
    tabs: dict[str, list[tuple[str, list]]] = defaultdict(list)
    for e, values in cases:
        tabs[e.space].append((e.api_name, values))
    first, done = Calls(), {}

    def tab(space, jobs):
        http = Http(url, timeout=TIMEOUT)
        for api_name, values in jobs:
            first.timed(http, api_name, values)
        done[space] = time.perf_counter() - started
        http.close()

    threads = [threading.Thread(target=tab, args=kv, daemon=True) for kv in tabs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again, http = Calls(), Http(url, timeout=TIMEOUT)
    for e, values in cases:
        again.timed(http, e.api_name, values)
    http.close()
    time.sleep(1.0)
    return {"tabs": done, "first": first, "again": again, "all_s": max(done.values()), "rss": rss(pid)}


def measure_fair(url: str, jobs: dict[str, list], requests: int) -> dict:
    """Sentiment from one client alone, then while the long jobs run (each restarted until the sentiment is done)."""
    texts = [[t] for t in SENTIMENT_TEXTS]

    def sentiment_run() -> Calls:
        calls, http = Calls(), Http(url, timeout=TIMEOUT)
        for i in range(requests):
            calls.timed(http, "sentiment", texts[i % len(texts)])
        http.close()
        return calls

    alone = sentiment_run()
    stop, background = threading.Event(), Calls()
    answers: dict[str, list[str]] = defaultdict(list)

    def loop(api_name, values):
        http = Http(url, timeout=TIMEOUT)
        while not stop.is_set():
            kind, answer, _ = background.timed(http, api_name, values)
            if kind == "complete":
                answers[api_name].append(str(answer))
        http.close()

    threads = [threading.Thread(target=loop, args=kv, daemon=True) for kv in jobs.items()]
    for t in threads:
        t.start()
    time.sleep(3.0)  # all three past their upload and running
    loaded = sentiment_run()
    stop.set()
    for t in threads:
        t.join()
    words = {k: statistics.mean(len(re.findall(r"\w+", a)) for a in v) for k, v in answers.items() if v}
    return {"alone": alone, "loaded": loaded, "background": background, "words": words}


def measure_load(url: str, cases: list[tuple[Endpoint, list]], clients: int, per_client: int) -> dict:
    calls = Calls()
    wall = run_clients(url, deal([(e.api_name, v) for e, v in cases], clients, per_client), calls)
    return {"calls": calls, "wall": wall, "clients": clients, "per_client": per_client}


def measure_leak(url: str, pairs: list[tuple[str, list]], requests: int, pid: int, clients: int = 4) -> dict:
    calls, samples, lock = Calls(), [], threading.Lock()
    step = max(1, requests // 10)
    sent = [0]

    def on_done():
        with lock:
            sent[0] += 1
            if sent[0] % step == 0:
                samples.append(rss(pid))

    before = rss(pid)
    # no session named: each call a new Gradio session, the memory's worst case (a script calling with curl)
    wall = run_clients(url, deal(pairs, clients, -(-requests // clients), seed=1), calls, on_done, session=False)
    time.sleep(2.0)
    after = rss(pid)
    return {"calls": calls, "before": before, "after": after, "samples": samples, "wall": wall,
            "endpoints": [p[0] for p in pairs]}


# ---------------------------------------------------------------------------------------------- report

def verdict(ok: bool) -> str:
    return "✅" if ok else "❌"


def report(results: dict, meta: dict) -> str:
    lines = ["## suite", "",
             f"{meta['date']}, {meta['cpu']} ({os.cpu_count()} CPUs), load average {meta['load_start']:.2f} at start "
             f"and {meta['load_end']:.2f} at the end; {meta['versions']}.", "",
             f"    {meta['command']}", "",
             "| target | goal | measured | met |", "|---|---|---|:-:|"]
    s, w = results.get("start"), results.get("warm")
    if s:
        lines.append(f"| first page: process start to GET / = 200 | ≤ {TARGETS['page']:g} s | {s['page_s']:.1f} s "
                     f"(URL printed at {s['url_s']:.1f} s; page {s['page_kb']:,.0f} kB) "
                     f"| {verdict(s['page_s'] <= TARGETS['page'])} |")
    if w:
        first_errors = w["first"].count()[1] + w["again"].count()[1]
        ok = w["all_s"] <= TARGETS["warm"] and not first_errors
        lines.append(f"| every tab warm: process start to every endpoint's first answer | ≤ {TARGETS['warm']:g} s "
                     f"| {w['all_s']:.1f} s ({len(w['tabs'])} tabs, {sum(map(len, w['first'].seconds.values()))} "
                     f"endpoints, {first_errors} errors) | {verdict(ok)} |")
        lines.append(f"| RSS with every tab warm (suite process + children) | ≤ 2 GB | {mib(w['rss'])} "
                     f"| {verdict(w['rss'] <= TARGETS['rss'])} |")
    leak = results.get("leak")
    if leak:
        growth = 100 * (leak["after"] - leak["before"]) / leak["before"]
        n, errors = leak["calls"].count()
        lines.append(f"| no leak: RSS growth over {n + errors:,} mixed requests | ≤ {TARGETS['growth']:g}% "
                     f"| {mib(leak['before'])} → {mib(leak['after'])} ({growth:+.1f}%), {errors} errors "
                     f"| {verdict(growth <= TARGETS['growth'] and not errors)} |")
    fair, load = results.get("fair"), results.get("load")
    if w and (fair or load or leak):
        steps = [("warm", w["rss"])] + [(name, results[name]["rss"]) for name in ("fair", "load") if name in results]
        steps.append(("end", results["end_rss"]))
        growth = 100 * (results["end_rss"] - w["rss"]) / w["rss"]
        lines.append("| no growth over the whole run (every section below): RSS " + " → ".join(n for n, _ in steps)
                     + f" | ≤ {TARGETS['growth']:g}% | " + " → ".join(mib(v) for _, v in steps)
                     + f" ({growth:+.1f}%; peak {mib(max(v for _, v in steps))}) "
                     f"| {verdict(growth <= TARGETS['growth'])} |")
    if load:
        n, errors = load["calls"].count()
        every = load["calls"].all_seconds()
        lines.append(f"| load: {load['clients']} clients × {load['per_client']} requests over every endpoint "
                     f"| 0 errors | {errors} errors of {n + errors}; p50 {ms(pct(every, 50))} ms, p95 "
                     f"{ms(pct(every, 95))} ms over all; {load['wall']:.0f} s; RSS after {mib(load['rss'])} "
                     f"| {verdict(not errors)} |")
    if fair:
        a, b = fair["alone"].seconds["sentiment"], fair["loaded"].seconds["sentiment"]
        lines.append(f"| fair: sentiment p50 / p95, alone → while a chat streams, a 60 s clip transcribes and a "
                     f"tokenizer trains | (reported) | {ms(pct(a, 50))} / {ms(pct(a, 95))} ms → {ms(pct(b, 50))} / "
                     f"{ms(pct(b, 95))} ms ({fair['loaded'].count()[1]} errors); RSS after {mib(fair['rss'])} | — |")
    if w:
        lines += ["", "Every tab warm: seconds from process start until the tab's endpoints had all answered once "
                  "(all tabs at once, one client each), and each endpoint's first and next (alone) answer.", "",
                  "| tab | warm at s | endpoint | first answer ms | next answer ms |", "|---|---:|---|---:|---:|"]
        for space, at in sorted(w["tabs"].items(), key=lambda kv: kv[1]):
            names = [n for n in meta["order"] if n in meta["by_space"][space]]
            for i, name in enumerate(names):
                f = w["first"].seconds.get(name) or [float("nan")]
                g = w["again"].seconds.get(name) or [float("nan")]
                err = " (error)" if name in w["first"].errors or name in w["again"].errors else ""
                lines.append(f"| {space if i == 0 else ''} | {f'{at:.1f}' if i == 0 else ''} | /{name}{err} "
                             f"| {ms(f[0])} | {ms(g[0])} |")
    if fair:
        lines += ["", "Fairness: one sentiment client, one request at a time.", "",
                  "| sentiment | requests | errors | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
        for label, calls in (("alone", fair["alone"]), ("under the long jobs", fair["loaded"])):
            v = calls.seconds["sentiment"]
            lines.append(f"| {label} | {len(v)} | {calls.count()[1]} | {ms(pct(v, 50))} | {ms(pct(v, 95))} "
                         f"| {ms(max(v, default=float('nan')))} |")
        lines += ["", "| long job (restarted until the sentiment requests were done) | runs | errors | seconds each "
                  "| words in the answer |", "|---|---:|---:|---|---:|"]
        bg = fair["background"]
        for name in ("chatbot", "asr", "tokenizer_lab_train"):
            v = bg.seconds.get(name, [])
            lines.append(f"| /{name} | {len(v)} | {len(bg.errors.get(name, []))} "
                         f"| {', '.join(f'{x:.1f}' for x in v)} | {fair['words'].get(name, 0):,.0f} |")
    if load:
        lines += ["", f"Load: {load['clients']} clients × {load['per_client']} requests, endpoints in round-robin "
                  "order shuffled (seed 0), all clients at once.", "",
                  "| endpoint | answers | errors | p50 ms | p95 ms |", "|---|---:|---:|---:|---:|"]
        for name in meta["order"]:
            v = load["calls"].seconds.get(name, [])
            lines.append(f"| /{name} | {len(v)} | {len(load['calls'].errors.get(name, []))} | {ms(pct(v, 50))} "
                         f"| {ms(pct(v, 95))} |")
    if leak:
        lines += ["", f"Leak: {len(leak['endpoints'])} fast endpoints (alone under {meta['fast_ms']:g} ms): "
                  + ", ".join(f"/{n}" for n in leak["endpoints"]) + f"; 4 clients, {leak['wall']:.0f} s. RSS every "
                  "10%: " + ", ".join(f"{x / 1024**2:,.0f}" for x in leak["samples"]) + " MiB."]
    return "\n".join(lines) + "\n"


def print_errors(name: str, calls: Calls) -> None:
    for api_name, errors in calls.errors.items():
        print(f"  {name}: /{api_name}: {len(errors)} error(s), e.g. {errors[0]}", flush=True)


# ------------------------------------------------------------------------------------------------ main

def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections among {','.join(SECTIONS)} (start and warm always run)")
    parser.add_argument("--quick", action="store_true", help="a short development run; prints only")
    parser.add_argument("--fair-requests", type=int, help="sentiment requests per fairness row (100; 30 with --quick)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, help="requests per load client (50; 8 with --quick)")
    parser.add_argument("--leak-requests", type=int, help="mixed requests of the leak section (5000; 300 with --quick)")
    parser.add_argument("--fast-ms", type=float, default=300, help="the leak section's endpoints answer alone under it")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="an environment variable for the suite's process (repeatable)")
    parser.add_argument("--app-log", default=str(Path(tempfile.gettempdir()) / "suite-bench-app.log"),
                        help="where the suite's own output (stdout and stderr) is written at the end")
    parser.add_argument("--results", help=f"markdown file to update (default {RESULTS.relative_to(REPO)}; "
                        "none with --quick)")
    opts = parser.parse_args(argv)
    opts.argv = list(sys.argv[1:] if argv is None else argv)
    opts.only = [s.strip() for s in opts.only.split(",") if s.strip()]
    unknown = set(opts.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose among {', '.join(SECTIONS)}")
    opts.fair_requests = opts.fair_requests or (30 if opts.quick else 100)
    opts.per_client = opts.per_client or (8 if opts.quick else 50)
    opts.leak_requests = opts.leak_requests or (300 if opts.quick else 5000)
    if opts.results is None and not opts.quick:
        opts.results = str(RESULTS)
    opts.extra_env = dict(kv.split("=", 1) for kv in opts.env)
    return opts


def main(argv=None) -> str:
    opts = parse(argv)
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    meta = {"date": datetime.date.today().isoformat(), "cpu": cpu_model(), "versions": versions(),
            "command": " ".join(["python benchmarks/suite.py", *map(shlex.quote, opts.argv)]).strip(),
            "fast_ms": opts.fast_ms}
    print(f"CPU: {meta['cpu']} ({os.cpu_count()} CPUs); {meta['versions']}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="suite-bench-"))
    cases = suite_endpoints(folder)
    by_name = {e.api_name: (e, v) for e, v in cases}
    meta["order"] = [e.api_name for e, _ in cases]
    meta["by_space"] = defaultdict(set)
    for e, _ in cases:
        meta["by_space"][e.space].add(e.api_name)
    jobs = long_jobs(by_name, folder) if "fair" in opts.only else {}
    results: dict = {}
    meta["load_start"] = os.getloadavg()[0]
    print(f"{len(cases)} endpoints; load average {meta['load_start']:.2f}; starting the suite", flush=True)
    started = time.perf_counter()
    with run_app(SUITE, env={**ENV, **opts.extra_env}, timeout=300) as (url, app_log, proc):
        printed = time.perf_counter()
        results["start"] = measure_start(url, started, printed)
        print(f"start: URL at {results['start']['url_s']:.1f} s, page at {results['start']['page_s']:.1f} s",
              flush=True)
        results["warm"] = warm = measure_warm(url, cases, started, proc.pid)
        print(f"warm: every tab at {warm['all_s']:.1f} s; RSS {mib(warm['rss'])}", flush=True)
        print_errors("warm", warm["first"])
        print_errors("warm", warm["again"])
        if "fair" in opts.only:
            results["fair"] = measure_fair(url, jobs, opts.fair_requests)
            results["fair"]["rss"] = rss(proc.pid)
            print(f"fair: done; RSS {mib(results['fair']['rss'])}", flush=True)
            print_errors("fair", results["fair"]["loaded"])
            print_errors("fair (long jobs)", results["fair"]["background"])
        if "load" in opts.only:
            results["load"] = measure_load(url, cases, opts.clients, opts.per_client)
            results["load"]["rss"] = rss(proc.pid)
            print(f"load: done; RSS {mib(results['load']['rss'])}", flush=True)
            print_errors("load", results["load"]["calls"])
        if "leak" in opts.only:
            fast = [(name, by_name[name][1]) for name, v in warm["again"].seconds.items()
                    if v and v[0] * 1000 < opts.fast_ms]
            results["leak"] = measure_leak(url, fast, opts.leak_requests, proc.pid)
            print_errors("leak", results["leak"]["calls"])
        time.sleep(2.0)
        results["end_rss"] = rss(proc.pid)
        Path(opts.app_log).write_text("".join(app_log))
    print(f"the suite's own output: {opts.app_log}", flush=True)
    meta["load_end"] = os.getloadavg()[0]
    for section in ("start", "warm"):
        if section not in opts.only:
            results.pop(section)
    section = report(results, meta)
    print("\n" + section, flush=True)
    if opts.results:
        write_section(Path(opts.results), "suite", section)
        print(f"written to {opts.results}", flush=True)
    return section


if __name__ == "__main__":
    main()
