"""Sketch recognition: drawings rendered here (thin or thick, anywhere, either colours, on a transparent layer)
come out of the MNIST recipe centred and of the same weight; the trained CNN reads digits drawn as a mouse draws;
an empty canvas gets a sentence; the Space answers a Sketchpad value through gradio_client; the training script's
smoke run learns."""

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image, ImageDraw

from shared.data import mnist
from shared.tasks import InputError, sketch
from training.sketch import SMOKE_FILE

IMAGES, LABELS, BINARY = mnist.read_task(SMOKE_FILE)  # 24 MNIST training digits then 8 test digits


def one(canvas=400, x=300, y=80, length=200, width=3, style="dark"):
    """A "1": one vertical stroke, drawn where and how a user might."""
    mode, paper, pen = {"dark": ("RGB", "white", "black"), "light": ("RGB", "black", "white"),
                        "layer": ("RGBA", (0, 0, 0, 0), (20, 20, 20, 255))}[style]
    picture = Image.new(mode, (canvas, canvas), paper)
    ImageDraw.Draw(picture).line([(x, y), (x, y + length)], fill=pen, width=width)
    return np.asarray(picture)


def centre_of_mass(digit):
    ys, xs = np.indices(digit.shape)
    return (digit * ys).sum() / digit.sum(), (digit * xs).sum() / digit.sum()


@pytest.mark.parametrize("style", ["dark", "light", "layer"])
@pytest.mark.parametrize("width", [2, 9, 40])
def test_a_stroke_anywhere_comes_out_centred_and_mnist_sized(style, width):
    digit = sketch.check(one(width=width, style=style))
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    cy, cx = centre_of_mass(digit)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1  # centred by its centre of mass, wherever it was drawn
    rows = np.flatnonzero((digit > 0.25).any(axis=1))
    assert 18 <= rows[-1] - rows[0] + 1 <= 21  # the longer side scaled to 20 px
    assert 2 <= sketch.stroke_width(digit > 0.25) <= 5  # a hairline and a marker both come out pen-sized


def test_colours_either_way_round_give_the_same_digit():
    dark, light, layer = (sketch.check(one(style=s)) for s in ("dark", "light", "layer"))
    assert np.abs(dark - light).max() < 0.02 and np.abs(dark - layer).max() < 0.1


def test_mnist_digits_keep_their_shape_through_the_recipe():
    """MNIST was made this way already: black-and-white digits come out unchanged, and the recipe run twice
    changes (almost) nothing."""
    for image, binary in zip(IMAGES, BINARY):
        digit = sketch.to_mnist(image / 255.0)
        if binary:
            assert np.corrcoef(digit.ravel(), image.ravel())[0, 1] > 0.75
        assert np.corrcoef(digit.ravel(), sketch.to_mnist(digit).ravel())[0, 1] > 0.75
    again = [np.corrcoef((d := sketch.to_mnist(im / 255.0)).ravel(), sketch.to_mnist(d).ravel())[0, 1] for im in IMAGES]
    assert np.median(again) > 0.99


@pytest.mark.parametrize("value", [None, {"background": None, "layers": [], "composite": None},
                                   {"layers": []}, np.full((300, 300, 3), 255, np.uint8)])
def test_nothing_drawn_gets_a_sentence(value):
    with pytest.raises(InputError, match="Draw a digit first"):
        sketch.check(value)


def test_the_sketchpad_dict_is_read_from_its_composite_or_its_layers(tmp_path):
    Image.fromarray(one()).save(tmp_path / "one.png")
    by_composite = sketch.check({"background": None, "layers": [], "composite": str(tmp_path / "one.png")})
    by_layer = sketch.check({"background": None, "layers": [str(tmp_path / "one.png")], "composite": None})
    assert np.array_equal(by_composite, by_layer)
    assert np.array_equal(by_composite, sketch.check((tmp_path / "one.png").read_bytes()))  # a browser's blob


def test_the_trained_model_reads_digits_drawn_as_a_mouse_draws():
    drawn = [mnist.draw_like_a_mouse(image, width=w, height=h, offset=(0.5, -0.5), style=s)
             for image, (w, h, s) in zip(IMAGES[-8:], [(2, 0.5, "dark"), (6, 0.8, "light"), (12, 0.3, "layer"),
                                                       (4, 0.6, "dark")] * 2)]
    guesses = [max(p := sketch.predict(d).value, key=p.get) for d in drawn]
    assert sum(g == str(y) for g, y in zip(guesses, LABELS[-8:])) >= 7, (guesses, LABELS[-8:])


@pytest.mark.parametrize("space_client", ["sketch"], indirect=True)
def test_sketch_space_reads_a_sketchpad_value(space_client, tmp_path):
    Image.fromarray(mnist.draw_like_a_mouse(IMAGES[-1], width=10, style="layer")).save(tmp_path / "four.png")
    label = space_client.predict({"background": None, "layers": [], "composite": handle_file(str(tmp_path / "four.png"))},
                                 api_name="/predict")
    assert label["label"] == str(LABELS[-1]) and len(label["confidences"]) == 5
    Image.new("RGB", (400, 400), "white").save(tmp_path / "blank.png")
    with pytest.raises(AppError, match="Draw a digit first"):
        space_client.predict({"background": None, "layers": [], "composite": handle_file(str(tmp_path / "blank.png"))},
                             api_name="/predict")


def test_training_smoke_run_learns(tmp_path):
    from training import sketch as training

    metrics = training.main(["--smoke", "--output-dir", str(tmp_path / "m")])
    before, after = metrics["results"][0]["baseline_value"], metrics["results"][0]["value"]
    assert after <= 0.5 * before
    assert (tmp_path / "m" / "model.safetensors").is_file() and (tmp_path / "m" / "README.md").is_file()
    net = sketch.load(str(tmp_path / "m"))
    assert sketch.probabilities(net, np.zeros((2, 28, 28), np.float32)).shape == (2, 10)
