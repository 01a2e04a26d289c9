"""Sentiment: the VADER data builder, a --smoke training run, the committed checkpoint, and the Space."""


import pytest
from gradio_client.exceptions import AppError

from shared.catalog import load_app
from shared.hub import REPO_ROOT as REPO
from shared.tasks import sentiment

FIXTURE = REPO / "tests" / "fixtures" / "vader"
LONG_TEXT = ("This film is wonderful. " * 5000)[:100_000]


# ------------------------------------------------------------------ the committed checkpoint

def test_committed_checkpoint_is_small_and_right():
    folder = REPO / "checkpoints" / "sentiment"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 10e6
    good, bad = sentiment.predict(["a masterpiece", "a dull, lifeless mess"])
    assert set(good) == {"negative", "positive"} and abs(sum(good.values()) - 1) < 1e-5
    assert good["positive"] > 0.5 and bad["negative"] > 0.5


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
    tweet, plain = sentiment.classify(["RT @critic: a dull, lifeless mess www.example.com/review",
                                       "a dull, lifeless mess"])
    assert tweet.probs == pytest.approx(plain.probs)


def test_emoji_carry_their_sentiment():
    angry, smitten, thumbs_down = sentiment.classify(["This movie 😡", "This movie 😍", "the ending 👎"])
    assert (angry.label, smitten.label, thumbs_down.label) == ("negative", "positive", "negative")


def test_warm_up_loads_the_model_in_the_background(capsys):
    from shared import modeling, ui

    modeling.clear_cache()
    ui.warm_up(["sentiment", "no_such_task"]).join(timeout=120)
    assert modeling._load.cache_info().currsize == 1  # sentiment's model, loaded without a request
    assert "Model for no_such_task not preloaded" in capsys.readouterr().out  # one line, no traceback


def test_empty_text_is_a_clear_error():
    with pytest.raises(ValueError, match="box is empty"):
        sentiment.predict(["fine", "   "])
    with pytest.raises(ValueError, match="list of texts"):
        sentiment.predict("a bare string")


def test_100k_characters_are_truncated_and_say_so():
    long, short = sentiment.classify([LONG_TEXT, "a masterpiece"])
    assert long.truncated and "100,000 characters" in long.notice and "first" in long.notice
    assert not short.truncated and short.notice is None
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
    app = load_app("sentiment")
    labels, notices = app.predict(["", "a dull, lifeless mess"])
    assert labels[0] is None and "box is empty" in notices[0]
    assert max(labels[1], key=labels[1].get) == "negative" and notices[1] == ""
