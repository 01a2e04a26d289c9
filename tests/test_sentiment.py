"""Sentiment: the VADER data builder, a --smoke training run, the committed checkpoint, and the Space."""


import pytest
from gradio_client.exceptions import AppError

from conftest import load_app
from shared.hub import REPO_ROOT as REPO
from shared.tasks import InputError, sentiment

LONG_TEXT = ("This film is wonderful. " * 5000)[:100_000]


# ------------------------------------------------------------------ the committed checkpoint

def test_committed_checkpoint_is_small_and_right():
    folder = REPO / "checkpoints" / "sentiment"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 10e6
    good, bad = (o.value for o in sentiment.predict_batch(["a masterpiece", "a dull, lifeless mess"]))
    assert set(good) == {"negative", "positive"} and abs(sum(good.values()) - 1) < 1e-5
    assert good["positive"] > 0.9 and bad["negative"] > 0.9
    assert sentiment.predict("a masterpiece").value == pytest.approx(good, abs=1e-6)  # one text = a batch of one


@pytest.mark.parametrize("raw, clean", [
    ("RT @bob: what a great movie http://t.co/x1", "what a great movie"),
    (".@anonymous thanks :) &lt;3", "thanks :) <3"),
    ("Skadden &amp;amp; Flom", "Skadden & Flom"),  # twice-escaped, as in the NYT set
    ("write to help@example.com", "write to help@example.com"),  # an e-mail address is not a mention
    ("ART is not RT-marked", "ART is not RT-marked"),
    ("@bob http://t.co/x1", "@bob http://t.co/x1"),  # nothing but clutter: kept as typed
    ("This movie 😡", "This movie pouting face"),  # emoji are [UNK] to the model: their names (VADER's table)
    ("❤️ it, 👍🏽", "red heart it, thumbs up: medium skin tone"),
    ("© 2024", "© 2024"),
])
def test_normalize_drops_social_media_clutter(raw, clean):
    assert sentiment.normalize(raw) == clean
    assert sentiment.normalize(clean) == clean  # idempotent


def test_clutter_does_not_change_the_prediction():
    tweet, plain = sentiment.predict_batch(["RT @critic: a dull, lifeless mess www.example.com/review",
                                            "a dull, lifeless mess"])
    assert tweet.value == pytest.approx(plain.value)


def test_emoji_carry_their_sentiment():
    angry, smitten, thumbs_down = sentiment.predict_batch(["This movie 😡", "This movie 😍", "the ending 👎"])
    assert (angry.label, smitten.label, thumbs_down.label) == ("negative", "positive", "negative")


def test_warm_up_loads_the_model_in_the_background(capsys):
    from shared import modeling, ui

    modeling.clear_cache()
    ui.warm_up(["sentiment", "no_such_task"]).join(timeout=120)
    # sentiment's model, loaded without a request, and the MiniLM weights it shares with the other encoder tasks
    assert sorted({key[0] for key in modeling.loaded()}) == ["base-tensors", "classifier"]
    assert "Model for no_such_task not preloaded" in capsys.readouterr().out  # one line, no traceback


def test_bad_input_is_a_clear_error_and_spares_the_rest_of_a_batch():
    with pytest.raises(InputError, match="box is empty"):
        sentiment.predict("   ")
    with pytest.raises(InputError, match="Expected text"):
        sentiment.predict(["a", "list"])
    with pytest.raises(InputError, match="at most 100,000"):
        sentiment.predict("x" * 100_001)
    with pytest.raises(InputError, match="list of inputs"):
        sentiment.predict_batch("a bare string")
    fine, blank, number = sentiment.predict_batch(["fine", "   ", 3])
    assert fine.value and not fine.error
    assert blank.value is None and "box is empty" in blank.error
    assert number.value is None and "Expected text" in number.error


def test_nested_entities_and_emoji_are_linear_time():
    import time

    for text in ("&" + "amp;" * 24_000 + "lt;3 a dull mess", "😍" * 99_000, "&amp;" * 20_000):
        start = time.perf_counter()
        out = sentiment.predict(text)
        assert time.perf_counter() - start < 1.5, text[:20]
        assert out.notices  # long: only the start was read, and the user is told


def test_100k_characters_are_truncated_and_say_so():
    long, short = sentiment.predict_batch([LONG_TEXT, "a masterpiece"])
    assert len(long.notices) == 1 and "100,000 characters" in long.notices[0] and "first" in long.notices[0]
    assert short.notices == []
    assert long.label == "positive"


# ------------------------------------------------------------------ the Space

@pytest.mark.parametrize("space_client", ["sentiment"], indirect=True)
def test_space_round_trip(space_client):
    label, notice = space_client.predict("a masterpiece", api_name="/predict")
    assert label["label"] == "positive" and {c["label"] for c in label["confidences"]} == {"negative", "positive"}
    assert notice == ""
    label, notice = space_client.predict(LONG_TEXT, api_name="/predict")
    assert label["label"] == "positive" and "100,000 characters" in notice
    with pytest.raises(AppError, match="box is empty"):
        space_client.predict("  ", api_name="/predict")


def test_space_batch_keeps_a_blank_request_from_failing_the_others():
    fns = load_app("sentiment").demo.fns.values()
    predict = next(f.fn for f in fns if f.api_name == "predict")  # batched: a list of texts in, two lists out
    labels, notices = predict(["", "a dull, lifeless mess"])
    assert labels[0] is None and "box is empty" in notices[0]
    assert max(labels[1], key=labels[1].get) == "negative" and notices[1] == ""


def test_concurrent_first_requests_load_the_model_once(monkeypatch):
    import threading

    from shared import modeling

    calls = []
    real = modeling._load
    monkeypatch.setattr(modeling, "_load", lambda where, *rest: calls.append(where) or real(where, *rest))
    modeling.clear_cache()
    results, barrier = [], threading.Barrier(4)

    def first_request():
        barrier.wait()
        results.append(sentiment.load())

    threads = [threading.Thread(target=first_request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(calls) == 1 and len(results) == 4
    assert all(r[0] is results[0][0] for r in results)  # one model object, shared
