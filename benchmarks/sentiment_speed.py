"""How fast is the sentiment Space? Latency and throughput through gradio_client, against a pipeline loop.

    python benchmarks/sentiment_speed.py [--requests 40] [--clients 1 4 16] [--threads 1] [--model DIR]

Starts spaces/sentiment/app.py in a subprocess (as Spaces runs it) on a free port, then measures:
- p50 / p95 latency of one request at a time: through gradio_client, and over plain HTTP (the
  /gradio_api/call route, read as a browser reads its event stream);
- requests/s with 1, 4 and 16 concurrent gradio_client clients (one Client per thread; the Space batches
  up to 16), with the Space process's CPU use next to it;
- the floor: the same p50 for the hello-world Space (a function that does nothing);
- the model alone: `shared.tasks.sentiment.classify` on batches of 1 and of 16 texts, in this process;
- the baseline: the same merged model + tokenizer through `transformers.pipeline("text-classification")`,
  one text per call in a loop, in this process.
Texts are real Rotten Tomatoes test sentences (or the Space's examples if the data is not cached).
Both sides use the same number of torch threads (--threads, default 1: on a machine shared with other jobs,
2 OpenMP threads on 2 busy cores made one forward pass 30x slower than 1 thread). Prints a markdown table.
Numbers depend on what else the machine is doing: the load average is printed with them.

Two things about gradio_client (2.7.x) on one small machine, where the clients share the CPUs with the Space:
- each predict() builds two httpx clients, and each of those builds an SSL context from certifi's CA bundle
  even for an http:// URL: about 39 ms of client CPU per call, which starves the Space. The concurrent rows
  are therefore run twice: stock clients, and clients given one prebuilt `ssl.SSLContext` as `ssl_verify`
  (httpx accepts a context as `verify`; same certificate checks, built once);
- its event reader polls for messages every 50 ms (`time.sleep(0.05)` in gradio_client/utils.py), so no
  call through it returns in under ~55 ms; the plain-HTTP row is what a browser tab waits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.local_space import run_app  # noqa: E402


def texts(n: int) -> list[str]:
    try:
        from shared.data import vader

        if (vader.CACHE / vader.FOLDER).is_dir():
            return vader.build()["test"]["text"][:n]
    except Exception:
        pass
    import itertools

    return list(itertools.islice(itertools.cycle([
        "A masterpiece: funny, moving and beautifully shot.", "A dull, lifeless mess that never finds its story.",
        "The acting is fine, but the plot goes nowhere.", "I can't believe how much I enjoyed this!"]), n))


def start_space(model: str | None, threads: int, space: str = "sentiment"):
    """run_app for spaces/<space>/app.py with `threads` torch threads (and SENTIMENT_MODEL=model when given)."""
    env = {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    if model:
        env["SENTIMENT_MODEL"] = str(Path(model).resolve())
    return run_app(REPO / "spaces" / space, env=env, timeout=180)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def shared_ssl_context():
    """One SSL context for every gradio_client.Client (see the module docstring)."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def latency(call, inputs) -> list[float]:
    """Seconds each `call(x)` took, one x at a time."""
    out = []
    for x in inputs:
        start = time.perf_counter()
        call(x)
        out.append(time.perf_counter() - start)
    return out


class HttpClient:
    """A minimal client with gradio_client's predict() signature, over plain HTTP: POST /gradio_api/call/<api>,
    then read its event stream, as a browser does (no gradio_client, whose reader polls every 50 ms)."""

    def __init__(self, url: str):
        import httpx

        self.http = httpx.Client(base_url=url, timeout=60)

    def predict(self, text: str, api_name: str = "/predict"):
        event_id = self.http.post(f"gradio_api/call{api_name}", json={"data": [text]}).json()["event_id"]
        with self.http.stream("GET", f"gradio_api/call{api_name}/{event_id}") as stream:
            body = "".join(stream.iter_text())
        if "event: complete" not in body:
            raise SystemExit(f"unexpected answer over HTTP: {body[:200]}")
        return body


def throughput(clients, sample: list[str], per_client: int, pid: int | None = None) -> tuple[float, float]:
    """(requests/s, CPU use of process `pid` in % of one core) with every client sending per_client requests."""
    barrier = threading.Barrier(len(clients) + 1)
    errors = []

    def work(i, client):
        barrier.wait()
        try:
            for k in range(per_client):
                client.predict(sample[(i * per_client + k) % len(sample)], api_name="/predict")
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start, cpu_start = time.perf_counter(), cpu_seconds(pid) if pid else 0.0
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    cpu = (cpu_seconds(pid) - cpu_start) / elapsed * 100 if pid else 0.0
    if errors:
        raise SystemExit(f"{len(errors)} clients failed, e.g. {errors[0]!r}")
    return len(clients) * per_client / elapsed, cpu


def model_alone(model: str | None, sample: list[str], batch: int, rounds: int = 2) -> float:
    """Texts/s of shared.tasks.sentiment.classify on batches of `batch` texts (no server)."""
    from shared.tasks import sentiment

    m, tok = sentiment.load(model)
    sentiment.classify(sample[:batch], model=m, tokenizer=tok)  # warm-up
    start, n = time.perf_counter(), 0
    for _ in range(rounds):
        for i in range(0, len(sample) - batch + 1, batch):
            n += len(sentiment.classify(sample[i:i + batch], model=m, tokenizer=tok))
    return n / (time.perf_counter() - start)


def pipeline_loop(model: str | None, sample: list[str], rounds: int) -> tuple[float, list[float]]:
    import torch
    from transformers import pipeline

    from shared.hub import resolve
    from shared.modeling import load_classifier

    m, tok = load_classifier(resolve("sentiment", model))
    pipe = pipeline("text-classification", model=m, tokenizer=tok, device=-1, top_k=None)
    pipe(sample[0])  # warm-up
    times = []
    with torch.inference_mode():
        start = time.perf_counter()
        for i in range(rounds):
            t0 = time.perf_counter()
            pipe(sample[i % len(sample)], truncation=True)
            times.append(time.perf_counter() - t0)
        total = time.perf_counter() - start
    return rounds / total, times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="sequential requests for the latency figure")
    parser.add_argument("--per-client", type=int, default=16, help="requests each concurrent client sends")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--model", default=None, help="checkpoint folder (default: resolve('sentiment'))")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the Space and the pipeline")
    args = parser.parse_args(argv)
    import torch
    from gradio_client import Client

    torch.set_num_threads(args.threads)

    sample = texts(64)
    print(f"{len(sample)} texts, mean {statistics.mean(map(len, sample)):.0f} characters; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, {args.threads} torch thread(s)",
          flush=True)
    top = max(args.clients)
    seq = (sample * (args.requests // len(sample) + 1))[:args.requests]
    rows = []  # (setup, latency, requests/s, Space CPU)

    def ms(values):
        return f"p50 {1000 * statistics.median(values):.0f} ms, p95 {1000 * percentile(values, 95):.0f} ms"

    with start_space(args.model, args.threads) as (url, _, proc):
        context = shared_ssl_context()
        stock = [Client(url, verbose=False) for _ in range(top)]
        tuned = [Client(url, verbose=False, ssl_verify=context) for _ in range(top)]
        for t in sample[:5]:
            stock[0].predict(t, api_name="/predict")  # warm-up (the model loads on the first call)
        for name, clients in (("stock", stock), ("one shared SSL context", tuned)):
            lat = latency(lambda t, c=clients[0]: c.predict(t, api_name="/predict"), seq)
            rows.append((f"gradio_client ({name}), 1 request at a time", ms(lat), f"{len(lat) / sum(lat):.1f}", ""))
        raw = latency(HttpClient(url).predict, seq)
        rows.append(("plain HTTP (what a browser waits), 1 at a time", ms(raw), f"{len(raw) / sum(raw):.1f}", ""))
        rates = {}
        for name, clients in (("stock", stock), ("one shared SSL context", tuned)):
            for n in args.clients:
                rate, cpu = throughput(clients[:n], sample, args.per_client, proc.pid)
                rates[name, n] = rate
                rows.append((f"gradio_client ({name}), {n} concurrent client{'s' * (n > 1)}", "", f"{rate:.1f}",
                             f"{cpu:.0f}%"))
        rate, cpu = throughput([HttpClient(url) for _ in range(top)], sample, args.per_client, proc.pid)
        rows.append((f"plain HTTP, {top} concurrent clients", "", f"{rate:.1f}", f"{cpu:.0f}%"))
    with start_space(None, args.threads, space="hello-world") as (url, _, _):
        hello = Client(url, verbose=False, ssl_verify=shared_ssl_context())
        for _ in range(3):
            hello.predict("x", 1, api_name="/predict")
        floor = latency(lambda _: hello.predict("x", 1, api_name="/predict"), range(args.requests))
        rows.insert(3, ("floor: hello-world Space (no model), gradio_client (shared SSL context)", ms(floor),
                        f"{len(floor) / sum(floor):.1f}", ""))
    for batch in (1, top):
        rate = model_alone(args.model, sample, batch)
        rows.append((f"model alone: classify() on batches of {batch}", "", f"{rate:.1f}", ""))
    base_rate, base_times = pipeline_loop(args.model, sample, max(args.requests, 64))
    rows.append(("transformers.pipeline loop (same merged model, 1 text per call)", ms(base_times),
                 f"{base_rate:.1f}", ""))
    print("\n| setup | latency | requests/s | Space CPU |\n|---|---|---|---|")
    for r in rows:
        print(f"| {' | '.join(r)} |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    best = rates["one shared SSL context", top]
    print(f"\n{top} clients vs pipeline loop: {rates['stock', top] / base_rate:.2f}x stock, "
          f"{best / base_rate:.2f}x with a shared SSL context (target >= 3x). p50 (target <= 50 ms): "
          f"{1000 * statistics.median(raw):.0f} ms over HTTP, "
          f"{1000 * statistics.median(lat):.0f} ms via gradio_client.")


if __name__ == "__main__":
    main()
