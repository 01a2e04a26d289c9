"""Serving precision and the one shared base encoder (shared.modeling)."""

import json
import time

import pytest
import torch

from shared import embeddings, memory, modeling
from shared.tasks import ner, sentiment

TEXTS = ["A warm, generous film about friendship.", "Two hours of my life I will never get back.",
         "Not good, not terrible, just forgettable."]


@pytest.fixture
def precision(monkeypatch):
    """Set NLP_COURSE_PRECISION for one test, with a fresh model cache before and after."""
    def set_(value):
        monkeypatch.setenv(modeling.PRECISION_VARIABLE, value)
        modeling.clear_cache()
    yield set_
    modeling.clear_cache()


def test_base_key_names_a_parameter_inside_the_encoder_whatever_wraps_it():
    key = "encoder.layer.0.attention.self.query.weight"
    for name in ("bert.encoder.layer.0.attention.self.query.weight",
                 "base_model.model.bert.encoder.layer.0.attention.self.query.base_layer.weight",
                 "0.auto_model.encoder.layer.0.attention.self.query.weight", key):
        assert modeling.base_key(name) == key
    assert modeling.base_key("classifier.weight") is None
    assert modeling.base_key("cls.predictions.transform.dense.weight") is None


def test_precision_is_forced_by_the_variable_and_a_typo_is_refused(precision):
    precision("int8")
    assert modeling.serving_precision() == "int8"
    precision("half")
    with pytest.raises(ValueError, match="fp32, bf16, int8"):
        modeling.serving_precision()


def test_auto_precision_skips_what_the_checkpoint_failed(precision, monkeypatch, tmp_path):
    precision("auto")
    monkeypatch.setattr(modeling, "preferred_precisions", lambda: ["int8", "bf16", "fp32"])
    assert modeling.serving_precision(tmp_path) == "int8"  # not checked: the CPU's first choice
    (tmp_path / "metrics.json").write_text(json.dumps({"serving": {"passed": ["fp32", "bf16"]}}))
    assert modeling.serving_precision(tmp_path) == "bf16"
    (tmp_path / "metrics.json").write_text(json.dumps({"serving": {"passed": ["fp32"]}}))
    assert modeling.serving_precision(tmp_path) == "fp32"


def test_preferred_precisions_follow_the_cpu(monkeypatch):
    monkeypatch.setattr(modeling, "cpu_has_amx", lambda: True)
    monkeypatch.setattr(modeling, "cpu_has_bf16", lambda: True)
    assert modeling.preferred_precisions()[0] == "bf16"
    monkeypatch.setattr(modeling, "cpu_has_amx", lambda: False)
    monkeypatch.setattr(modeling, "int8_engine", lambda: None)
    monkeypatch.setattr(modeling, "cpu_has_bf16", lambda: False)
    assert modeling.preferred_precisions() == ["fp32"]


def _word_embeddings(model) -> torch.nn.Parameter:
    return next(p for name, p in model.named_parameters() if name.endswith("word_embeddings.weight"))


@pytest.mark.parametrize("name", ["fp32", "bf16"])
def test_minilm_tasks_share_one_base_and_answer_as_before(name, precision):
    precision(name)
    net, _ = sentiment.load()
    tagger, _ = ner.load()
    encoder = embeddings.get_encoder()
    base = modeling.base_tensors(modeling.hub.MINILM, _word_embeddings(net).dtype)
    # one copy of the word embeddings for the LoRA classifier, the full fine-tune and the sentence encoder
    assert _word_embeddings(net) is _word_embeddings(tagger) is _word_embeddings(encoder[0].auto_model)
    norm = "encoder.layer.0.attention.output.LayerNorm.weight"  # left as it was by the LoRA task
    assert dict(net.named_parameters())[f"bert.{norm}"] is base[norm]
    query = "encoder.layer.0.attention.self.query.weight"  # adapted (merged), or fine-tuned: each task's own
    assert dict(net.named_parameters())[f"bert.{query}"] is not base[query]
    assert dict(tagger.named_parameters())[f"bert.{query}"] is not base[query]
    shared_answers = [o.value for o in sentiment.predict_batch(TEXTS)]

    modeling.clear_cache()  # the same model without sharing gives the same probabilities
    real_share = modeling.share_base
    modeling.share_base = lambda *args: 0
    try:
        alone = [o.value for o in sentiment.predict_batch(TEXTS)]
    finally:
        modeling.share_base = real_share
    for a, b in zip(shared_answers, alone):
        assert a == pytest.approx(b, abs=1e-6)


def test_adapters_kept_apart_share_the_whole_base_and_answer_alike(precision, monkeypatch):
    precision("fp32")
    merged = [o.value for o in sentiment.predict_batch(TEXTS)]
    monkeypatch.setenv("NLP_COURSE_MERGE_ADAPTERS", "0")
    modeling.clear_cache()
    net, _ = sentiment.load()
    base = modeling.base_tensors(modeling.hub.MINILM, torch.float32)
    query = "encoder.layer.0.attention.self.query"
    assert dict(net.named_parameters())[f"base_model.model.bert.{query}.base_layer.weight"] is base[f"{query}.weight"]
    for a, b in zip(merged, [o.value for o in sentiment.predict_batch(TEXTS)]):
        assert a == pytest.approx(b, abs=1e-5)


def test_int8_quantizes_the_encoder_layers_and_keeps_clear_answers(precision):
    clear = ["A warm, generous film about friendship.", "Loud, long and utterly pointless."]
    precision("fp32")
    reference = [o.label for o in sentiment.predict_batch(clear)]
    precision("int8")
    net, _ = sentiment.load()
    quantized = [name for name, m in net.named_modules() if type(m).__name__ == "Linear"
                 and type(m).__module__.startswith("torch.ao.nn.quantized")]
    assert len(quantized) == 6 * 6 and all(".encoder.layer." in name for name in quantized)  # 6 Linear per layer
    assert type(net.classifier).__name__ == "Linear"  # the head stays in float
    assert [o.label for o in sentiment.predict_batch(clear)] == reference


def test_first_loads_take_turns_and_a_loaded_model_never_waits():
    import threading
    import time

    modeling.clear_cache()
    running, most = [0], [0]

    def slow_load():
        running[0] += 1
        most[0] = max(most[0], running[0])
        time.sleep(0.05)
        running[0] -= 1
        return object()

    threads = [threading.Thread(target=modeling.cached, args=(("test-load", i), slow_load)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1 and len(modeling.loaded()) == 4  # transformers' process-wide settings: one build at a time
    loaded = modeling.cached(("test-load", 0), slow_load)
    with modeling._building:  # another load in progress elsewhere
        waiter = threading.Thread(target=lambda: modeling.cached(("test-load", 0), slow_load))
        waiter.start()
        waiter.join(timeout=2)
        assert not waiter.is_alive()
    assert modeling.cached(("test-load", 0), slow_load) is loaded
    modeling.clear_cache()


FRAGMENTED_HEAP = """
import ctypes, sys
from shared import memory
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallopt(-1, 1 << 20)  # M_TRIM_THRESHOLD (1 MiB): keep glibc from trimming on its own
libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD (1 MiB): the 64 KiB blocks below come from the heap
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 >> 20
blocks = [libc.malloc(64 << 10) for _ in range(4000)]  # 250 MiB of heap
for b in blocks:
    ctypes.memset(b, 1, 64 << 10)
for b in blocks[:-1]:
    libc.free(b)  # all free but the last block, which keeps the heap's top where it is
before = rss()
released = memory.release_freed_memory()
print(before, rss(), released)
"""


def test_freed_memory_goes_back_to_the_system():
    """Freed blocks below the heap's top stay in the process until malloc_trim hands their pages back; the Space
    calls it from one thread (memory.release_freed_memory_every, started by ui.launch)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FRAGMENTED_HEAP], capture_output=True, text=True, check=True)
    before, after, released = out.stdout.split()
    assert released == "True" and int(before) > 240 and int(after) < int(before) - 200, out.stdout
    assert memory.release_freed_memory_every(0) is None


def test_the_release_thread_calls_it_again_and_again_until_stopped(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "release_freed_memory", lambda: calls.append(1) or True)
    releaser = memory.release_freed_memory_every(0.01)
    time.sleep(0.2)
    releaser.stop()
    releaser.join(1)
    assert releaser.daemon and not releaser.is_alive() and len(calls) >= 3


@pytest.mark.parametrize("value", ["bf16", "int8"])
def test_seq2seq_tasks_serve_at_the_chosen_precision(precision, value):
    from shared.tasks import translation

    texts = ["Open the file", "Save the document before closing."]
    precision("fp32")
    reference = [o.value for o in translation.predict_batch(texts)]
    precision(value)
    net, _ = translation.load()
    if value == "bf16":
        assert {p.dtype for p in net.parameters()} == {torch.bfloat16}
    else:  # every Linear of the encoder's and decoder's blocks, the output layer stays in float
        quantized = [name for name, m in net.named_modules() if type(m).__name__ == "Linear"
                     and type(m).__module__.startswith("torch.ao.nn.quantized")]
        layers = net.config.encoder_layers * 6 + net.config.decoder_layers * 10  # q k v o fc1 fc2 (+ cross q k v o)
        assert len(quantized) == layers and all(".layers." in name for name in quantized)
        assert type(net.lm_head).__name__ == "Linear" and net.lm_head.weight.dtype == torch.float32
    assert [o.value for o in translation.predict_batch(texts)] == reference


def test_a_generated_text_passes_on_its_metric_within_half_a_point():
    from training.serving_precision import passes

    fp32 = {"agreement": 1.0, "bleu test": 30.0, "metrics": ["bleu test"]}
    assert passes("translation", {**fp32, "agreement": 0.8, "bleu test": 29.6}, fp32)  # other words, same quality
    assert not passes("translation", {**fp32, "agreement": 0.8, "bleu test": 29.4}, fp32)
    assert not passes("sentiment", {"agreement": 0.98, "accuracy": 0.9, "metrics": ["accuracy"]},
                      {"agreement": 1.0, "accuracy": 0.9, "metrics": ["accuracy"]})  # a label must agree
