"""Text generation and the chatbot (course ch1 + ch9) on SmolLM2-135M-Instruct: the decoding loop is the one
`generate()` runs, seeds repeat, settings and prompts are checked, a long prompt or conversation is cut with a
notice, and both Spaces stream through gradio_client, the chatbot keeping each visitor's history."""

from types import SimpleNamespace

import pytest
import torch

from shared.tasks import InputError, chat
from shared.tasks import text_generation as generation

PROMPT = "In this course, we will teach you how to"


def test_greedy_loop_gives_what_generate_gives():
    net, tokenizer = generation.load()
    ids = tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    ours = list(generation.stream_tokens(net, ids, generation.Settings(max_new_tokens=24, temperature=0)))
    with torch.inference_mode():
        theirs = net.generate(ids, max_new_tokens=24, do_sample=False)[0, ids.shape[1]:].tolist()
    eos = net.generation_config.eos_token_id
    assert ours == [t for t in theirs if t != eos][:len(ours)] and len(ours) > 10


def test_the_loop_resumed_in_other_threads_as_gradio_does_decodes_each_step_without_autograd():
    """Gradio calls next() on a streaming generator from whichever worker thread is free, and torch's inference
    mode belongs to a thread: each step must enter it itself (else autograd keeps every step's graph)."""
    from concurrent.futures import ThreadPoolExecutor

    net, tokenizer = generation.load()
    ids = tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    settings = generation.Settings(max_new_tokens=16, temperature=0)
    alone = list(generation.stream_tokens(net, ids, settings))
    tokens, hopping, modes = [], generation.stream_tokens(net, ids, settings), []
    hook = net.get_input_embeddings().register_forward_pre_hook(  # a step's first module, whichever path runs it
        lambda *_: modes.append(torch.is_inference_mode_enabled()))
    try:
        with ThreadPoolExecutor(1) as first, ThreadPoolExecutor(1) as second:
            for step in range(len(alone) + 1):
                tokens.append((first if step % 2 else second).submit(next, hopping, None).result())
    finally:
        hook.remove()
    assert tokens[:-1] == alone and tokens[-1] is None and len(alone) > 10
    assert all(modes) and len(modes) in (len(alone), len(alone) + 1)  # a forward per token (+ the end's), no autograd


def test_a_stream_started_in_a_worker_thread_does_its_torch_work_on_the_compute_thread(monkeypatch):
    """Torch work in a second thread gives it an OpenMP pool of its own, and two pools slow every kernel (the Space
    streamed 24.5 tok/s instead of 45 when the decoder, with its rotary table, was built in the reader's thread):
    the decoder is made, and each step taken, on the compute thread."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from shared import compute

    net, tokenizer = generation.load()
    ids = tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    threads, make = [], generation.decoding_step

    def recording(*args):
        threads.append(threading.current_thread().name)
        step = make(*args)
        return lambda ids: (threads.append(threading.current_thread().name), step(ids))[1]

    monkeypatch.setattr(generation, "decoding_step", recording)
    settings = generation.Settings(max_new_tokens=4, temperature=0)
    with ThreadPoolExecutor(1, thread_name_prefix="gradio-worker") as worker:
        tokens = worker.submit(lambda: list(generation.stream_tokens(net, ids, settings))).result()
    assert len(tokens) == 4 and len(threads) == 5
    assert all(name.startswith(compute.THREAD_NAME) for name in threads), threads

@pytest.mark.parametrize("fast", ["fp32", "bf16", "int8"])
def test_the_load_keeps_the_precision_that_decodes_fastest_here(fast, monkeypatch, capsys):
    """The load times a few decoding steps at each precision and keeps the fastest; here all but one are made
    slow on purpose (a sleep in each of their forward passes), and that one must be kept."""
    import time

    from transformers import LlamaConfig, LlamaForCausalLM

    from shared.int8 import Int8Linear

    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    net = LlamaForCausalLM(config).eval()
    real, slow, embed = generation.at_precision, set(), torch.nn.Embedding.forward

    def at_precision(model, precision):
        copy = real(model, precision)
        if precision != fast:
            slow.add(id(copy.get_input_embeddings()))
        return copy

    def slowed(self, *args):  # a sleep in each decoding step of a slow copy (the first module of a step)
        if id(self) in slow:
            time.sleep(0.005)
        return embed(self, *args)

    monkeypatch.setattr(generation, "at_precision", at_precision)
    monkeypatch.setattr(torch.nn.Embedding, "forward", slowed)
    chosen = generation.fastest_for_decoding(net, ["fp32", "bf16", "int8"], steps=3)
    assert chosen.decoding_precision == fast
    int8_layers = [m for m in chosen.modules() if isinstance(m, Int8Linear)]
    assert chosen.dtype == (torch.float32 if fast == "fp32" else torch.bfloat16)
    assert bool(int8_layers) == (fast == "int8")
    assert net.dtype == torch.float32 and not any(isinstance(m, Int8Linear) for m in net.modules())  # left as it was
    assert f"Decoding in {fast} on this CPU" in capsys.readouterr().out


@pytest.mark.parametrize("forced, precision", [("bfloat16", "bf16"), ("int8", "int8")])
def test_a_forced_precision_is_loaded_as_is_without_timing(forced, precision, monkeypatch):
    monkeypatch.setenv("NLP_COURSE_LM_DTYPE", forced)  # its own cache entry: loaded here unless already
    monkeypatch.setattr(generation, "fastest_for_decoding", lambda *a, **k: pytest.fail("timed a forced precision"))
    assert generation.load()[0].decoding_precision == precision
    monkeypatch.setenv("NLP_COURSE_LM_DTYPE", "int4")
    with pytest.raises(ValueError, match="NLP_COURSE_LM_DTYPE"):
        generation.load()


def test_int8_weights_keep_smollm2_as_good_on_real_text(monkeypatch):
    """Weight-only int8 (one scale per output row) against fp32 on real paragraphs: the mean negative
    log-likelihood per token within 1%, and a greedy continuation that starts the same."""
    monkeypatch.setenv("NLP_COURSE_LM_DTYPE", "fp32")
    fp32, tokenizer = generation.load()
    monkeypatch.setenv("NLP_COURSE_LM_DTYPE", "int8")
    int8, _ = generation.load()
    from benchmarks.generation import held_out_paragraphs
    from training.common import SMOKE_DATA

    def nll(net) -> float:
        total = count = 0
        with torch.inference_mode():
            for text in held_out_paragraphs(8, SMOKE_DATA / "brown"):  # the committed excerpt: six passages
                ids = tokenizer(text, return_tensors="pt", truncation=True, max_length=256)["input_ids"]
                total += net(input_ids=ids, labels=ids).loss.float().item() * (ids.shape[1] - 1)
                count += ids.shape[1] - 1
        return total / count

    a, b = nll(fp32), nll(int8)
    assert abs(b - a) / a < 0.01 and 2.5 < a < 4.5
    ids = tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    greedy = generation.Settings(max_new_tokens=6, temperature=0)
    assert list(generation.stream_tokens(fp32, ids, greedy)) == list(generation.stream_tokens(int8, ids, greedy))


def small_random_lm(kind: str):
    """(model, its decoder module, models that module does not cover) for a small random Llama with grouped keys
    (SmolLM2's shape) or GPT-2 (the code model's)."""
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    from shared.nets import gpt2_decoder, llama_decoder

    if kind == "llama":
        config = LlamaConfig(vocab_size=96, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
        other = LlamaForCausalLM(LlamaConfig(**{**config.to_dict(), "rope_parameters": {
            "rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0}}))
        return LlamaForCausalLM(config).eval(), llama_decoder, [other, SimpleNamespace(config=GPT2Config())]
    config = GPT2Config(vocab_size=96, n_embd=64, n_layer=3, n_head=4, n_positions=32)
    other = GPT2LMHeadModel(GPT2Config(n_embd=64, n_layer=1, n_head=4, reorder_and_upcast_attn=True))
    return GPT2LMHeadModel(config).eval(), gpt2_decoder, [other, SimpleNamespace(config=LlamaConfig())]


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
def test_the_written_out_step_computes_what_the_models_forward_does(kind):
    """shared.nets.llama_decoder / gpt2_decoder against the model's own forward: a prompt, a few tokens one at a
    time, then several at once after them (the masked path)."""
    from shared.tasks import text_generation

    torch.manual_seed(0)
    net, module, not_covered = small_random_lm(kind)
    ids = torch.randint(0, 96, (1, 20))
    decoder = text_generation.decoding_step(net, max_tokens=20)
    assert module.supports(net) and decoder.__class__.__module__ == module.__name__
    with torch.inference_mode():
        want = net(input_ids=ids).logits[0].float()
        got = [decoder(ids[:, :9])] + [decoder(ids[:, i:i + 1]) for i in range(9, 14)] + [decoder(ids[:, 14:])]
    for position, logits in zip([8, 9, 10, 11, 12, 13, 19], got):
        assert torch.allclose(logits, want[position], atol=1e-5), position
    with pytest.raises(ValueError, match="past this decoder"):
        decoder(ids[:, :1])
    assert not any(module.supports(net) for net in not_covered)


def test_an_int8_linear_layer_computes_what_the_linear_layer_did():
    from shared.int8 import Int8Linear, int8_weights

    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 48)
    x = torch.randn(5, 8, 64)
    for rows in (x[:1, :1], x):  # one token (the int8 kernel) and a prompt's 40 (unpacked weights)
        with torch.inference_mode():
            want, got = linear(rows), Int8Linear(linear)(rows).float()
        assert got.shape == want.shape and (got - want).abs().max() < 0.02 * want.abs().max()
    net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2, bias=False))
    quantized = int8_weights(net)
    assert [type(m).__name__ for m in quantized] == ["Int8Linear", "ReLU", "Int8Linear"]
    assert quantized[0].weight.dtype == torch.int8 and quantized[2].bias is None
    assert isinstance(net[0], torch.nn.Linear) and net[0].weight.dtype == torch.float32


def test_a_prompt_unpacks_the_int8_weights_into_one_buffer_in_what_the_cpu_multiplies_natively(monkeypatch):
    """A prompt (more rows than PACKED_ROWS) multiplies in bf16 only where the CPU has it natively; emulated on an
    AVX2-only CPU it made the chat's first token 3x slower than fp32. The weights are unpacked into one reused
    buffer per thread, not a new tensor per layer."""
    from shared import int8, modeling

    for flags, dtype in (("flags\t: fpu avx2 fma", torch.float32), ("flags\t: avx2 avx512_bf16", torch.bfloat16)):
        monkeypatch.setattr(modeling, "_cpuinfo", lambda flags=flags: flags)
        int8.unpacked_dtype.cache_clear()
        assert int8.unpacked_dtype() == (torch.bfloat16 if torch.cuda.is_available() else dtype)
    int8.unpacked_dtype.cache_clear()
    torch.manual_seed(0)
    big, small = int8.Int8Linear(torch.nn.Linear(32, 48)), int8.Int8Linear(torch.nn.Linear(16, 8))
    with torch.inference_mode():
        first = int8.unpacked(big.weight, big.scale, torch.float32)
        assert torch.equal(first, big.weight.float() * big.scale.float()[:, None])
    with torch.no_grad():  # the same buffer outside inference mode
        second = int8.unpacked(small.weight, small.scale, torch.float32)
    assert second.shape == (8, 16) and second.data_ptr() == first.data_ptr()  # the same memory, reused
    assert torch.equal(second, small.weight.float() * small.scale.float()[:, None])
    assert int8.unpacked(small.weight, small.scale, torch.float32).data_ptr() != first.data_ptr()  # autograd on


def test_tokens_are_made_ahead_of_a_slow_reader_and_stop_when_it_leaves():
    import threading
    import time

    made = []

    def slow_model():
        for i in range(1000):
            made.append(i)
            time.sleep(0.001)
            yield i

    batches = generation.ahead(slow_model())
    first = next(batches)
    time.sleep(0.05)  # a reader busy sending an update: the model goes on meanwhile
    second = next(batches)
    assert first == [0] and len(second) > 5 and second[0] == 1 and second == list(range(1, 1 + len(second)))
    batches.close()
    time.sleep(0.05)
    stopped_at = len(made)
    time.sleep(0.05)
    assert len(made) == stopped_at < 1000  # the reader left: the model stops after its next token
    assert not [t for t in threading.enumerate() if t.name == "decode"]

    def failing():
        yield 1
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError, match="out of memory"):
        [item for batch in generation.ahead(failing()) for item in batch]
    assert [x for b in generation.ahead(iter(range(50))) for x in b] == list(range(50))


def test_a_seed_gives_the_same_text_again_and_another_seed_another():
    a, b, c = (generation.predict(PROMPT, 24, 1.0, 0.95, seed).value for seed in (7, 7, 8))
    assert a == b and a != c and a.startswith(PROMPT) and len(a) > len(PROMPT) + 20


def test_top_p_keeps_the_smallest_set_reaching_p():
    gen = torch.Generator().manual_seed(0)
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    picks = {generation._next_token(logits, generation.Settings(temperature=1, top_p=0.7), gen) for _ in range(300)}
    assert picks == {0, 1}  # 0.5 alone is short of 0.7; 0.5 + 0.3 reaches it


@pytest.mark.parametrize("settings, message", [
    ({"max_new_tokens": 0}, "Max new tokens must be between 1 and 512"),
    ({"max_new_tokens": "lots"}, "Max new tokens must be a number"),
    ({"temperature": 5}, "Temperature must be between 0.0 and 2.0"),
    ({"top_p": 0}, "Top-p must be between 0.05 and 1.0"),
    ({"seed": -1}, "Seed must be between 0"),
    ({"temperature": float("nan")}, "Temperature must be between")])
def test_settings_out_of_range_are_refused_with_their_name(settings, message):
    with pytest.raises(InputError, match=message):
        generation.check(PROMPT, **settings)


def test_a_prompt_longer_than_the_window_keeps_its_end_and_says_so(monkeypatch):
    monkeypatch.setattr(generation, "MAX_MODEL_TOKENS", 48)
    out = generation.predict("word " * 200 + "The end of the story is", max_new_tokens=8, temperature=0)
    assert out.notices and "reads its last 40" in out.notices[0]


def test_the_conversation_is_laid_out_by_the_chat_template_and_trimmed_oldest_first(monkeypatch):
    _, tokenizer = chat.load()
    history = [{"role": "user", "content": "My name is Ada."}, {"role": "assistant", "content": "Hello Ada!"},
               {"role": "user", "content": "I live in Paris. " * 10}, {"role": "assistant", "content": "Nice."}]
    ids, dropped = chat.fit_conversation(tokenizer, chat.SYSTEM_PROMPT, history, "What is my name?", 64)
    text = tokenizer.decode(ids[0])
    assert dropped == 0 and text.index("My name is Ada.") < text.index("What is my name?")
    assert text.startswith("<|im_start|>system\n" + chat.SYSTEM_PROMPT) and text.endswith("<|im_start|>assistant\n")
    monkeypatch.setattr(chat, "MAX_MODEL_TOKENS", 64 + 100)  # room for ~100 prompt tokens: the first exchange goes
    ids, dropped = chat.fit_conversation(tokenizer, chat.SYSTEM_PROMPT, history, "What is my name?", 64)
    assert dropped == 2 and "Ada" not in tokenizer.decode(ids[0]) and "I live in Paris" in tokenizer.decode(ids[0])
    notices = next(chat.stream("What is my name?", history, max_new_tokens=64, temperature=0)).notices
    assert notices == ["The conversation is longer than the model's window: the 2 oldest messages are no longer read."]
    monkeypatch.setattr(chat, "MAX_MODEL_TOKENS", 64 + 20)
    with pytest.raises(InputError, match="Shorten it"):
        chat.predict("What is my name?", [], max_new_tokens=64)


def test_chat_refuses_bad_history_and_answers_a_plain_question():
    with pytest.raises(InputError, match="needs a role"):
        chat.check("Hi", [{"role": "wizard", "content": "x"}])
    with pytest.raises(InputError, match="empty"):
        chat.check("  ", [])
    assert "Paris" in chat.predict("What is the capital of France?", max_new_tokens=20, temperature=0).value


@pytest.mark.parametrize("space_client", ["text-generation"], indirect=True)
def test_text_generation_space_streams_token_by_token(space_client):
    job = space_client.submit(PROMPT, 16, 0.0, api_name="/predict")
    final = job.result()
    updates = job.outputs()
    assert final.startswith(PROMPT) and len(final) > len(PROMPT) + 20
    assert len(updates) >= 8 and all(b.startswith(a) for a, b in zip(updates, updates[1:]))  # growing, in order
    assert final == generation.predict(PROMPT, 16, 0.0).value


@pytest.mark.parametrize("space_client", ["chatbot"], indirect=True)
def test_chatbot_space_streams_and_keeps_each_visitors_history(space_client, monkeypatch):
    seen = []
    fit = chat.fit_conversation

    def spy(tokenizer, system_prompt, history, message, max_new_tokens):
        seen.append([m["content"] for m in history] + [message])
        return fit(tokenizer, system_prompt, history, message, max_new_tokens)

    monkeypatch.setattr(chat, "fit_conversation", spy)
    job = space_client.submit("What is the capital of France?", chat.SYSTEM_PROMPT, 24, 0.0, api_name="/predict")
    first = job.result()
    assert "Paris" in str(first) and len(job.outputs()) >= 3
    space_client.predict("And of Italy?", chat.SYSTEM_PROMPT, 16, 0.0, api_name="/predict")
    assert seen[0] == ["What is the capital of France?"]
    assert seen[1][0] == "What is the capital of France?" and "Paris" in seen[1][1] and seen[1][2] == "And of Italy?"
