"""The image classifier: the packaged EfficientNet-Lite0 recognises real photos that ship with scikit-image,
its definition matches the weights exactly, the explanation points at the object, and bad images are refused."""

from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from shared.tasks import InputError
from shared.tasks import image_classification as ic

skimage = pytest.importorskip("skimage")
PHOTOS = Path(skimage.__file__).parent / "data"

# photo -> the ImageNet classes that name what it shows (scikit-image's sample images)
EXPECTED = {
    "chelsea.png": {"tabby", "tiger cat", "Egyptian cat"},  # Chelsea the cat
    "coffee.png": {"espresso", "cup", "coffee mug"},  # a cup of coffee
    "rocket.jpg": {"missile", "projectile", "space shuttle"},  # a rocket on its launch pad
}


@pytest.mark.parametrize("photo", EXPECTED)
def test_top1_on_real_photos(photo):
    label, heat = ic.predict(PHOTOS / photo).value
    top = max(label, key=label.get)
    assert top in EXPECTED[photo], label
    assert len(label) == ic.TOP_K and sum(label.values()) <= 1.0 + 1e-6
    assert heat.shape == (ic.IMAGE_SIZE, ic.IMAGE_SIZE, 3) and heat.dtype == np.uint8


def test_every_weight_has_its_place_in_the_model_definition():
    from safetensors.torch import load_file

    from shared.nets.efficientnet_lite import EfficientNetLite0

    state = load_file(ic.packaged_weights() / "model.safetensors")
    expected = {k for k in EfficientNetLite0().state_dict() if not k.endswith("num_batches_tracked")}
    assert set(state) == expected


def test_same_padding_is_tensorflows():
    """Stride 2 on an even size pads one extra row and column at the bottom/right, as TensorFlow's SAME."""
    import torch

    from shared.nets.efficientnet_lite import SameConv2d

    conv = SameConv2d(1, 1, 3, stride=2, bias=False)
    torch.nn.init.ones_(conv.weight)
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    out = conv(x)[0, 0]
    assert out.shape == (2, 2)
    assert out[0, 0] == x[0, 0, :3, :3].sum()  # window starts at (0, 0): nothing padded on the top/left
    assert out[1, 1] == x[0, 0, 2:, 2:].sum()  # last window hangs over the bottom/right by one (zeros)


def test_explanation_points_at_the_object():
    """The cat pasted in the left or right half of a grey canvas: the heat follows it."""
    cat = Image.open(PHOTOS / "chelsea.png").convert("RGB").resize((200, 200))
    net = ic.load()
    centres = []
    for x in (0, 400):
        canvas = Image.new("RGB", (600, 600), (128, 128, 128))
        canvas.paste(cat, (x, 200))
        view = ic.crop(np.asarray(canvas))
        probs, features = ic.classify(net, view[None])
        heat = ic.class_activation_map(net, features[0], int(probs[0].argmax()))
        centres.append((heat.sum(0) * np.arange(heat.shape[1])).sum() / heat.sum())
    assert centres[0] < 3 < centres[1], centres  # column of the heat's centre of mass, on a 7-column map


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "upload an image"),
    (lambda p: Image.new("RGB", (1, 1), (9, 9, 9)).save(p) or p, "at least 16 pixels"),
    (lambda p: Image.new("RGB", (300, 200), (30, 120, 200)).save(p) or p, "one flat colour"),
    (lambda p: p.write_text("not a picture") and p, "not an image"),
])
def test_bad_images_are_refused_with_a_sentence(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        ic.predict(make(tmp_path / "x.png"))


def test_odd_modes_are_classified(tmp_path):
    """CMYK, 16-bit grey, palette, transparent and animated images are converted, not refused."""
    cat = Image.open(PHOTOS / "chelsea.png").convert("RGB")
    cat.convert("CMYK").save(tmp_path / "cmyk.jpg")
    Image.fromarray((np.asarray(cat.convert("L"), dtype=np.uint16) * 257), mode="I;16").save(tmp_path / "deep.png")
    cat.convert("P").save(tmp_path / "palette.png")
    cat.convert("RGBA").save(tmp_path / "alpha.png")
    cat.save(tmp_path / "anim.gif", save_all=True, append_images=[cat.rotate(90)])
    for name in ("cmyk.jpg", "deep.png", "palette.png", "alpha.png", "anim.gif"):
        label, _ = ic.predict(tmp_path / name).value
        assert max(label.values()) > 0.1, name


@pytest.mark.parametrize("space_client", ["image-classifier"], indirect=True)
def test_space_labels_a_photo_and_keeps_serving(space_client, tmp_path):
    label, heat = space_client.predict(handle_file(str(PHOTOS / "coffee.png")), api_name="/predict")
    assert label["label"] == "espresso" and len(label["confidences"]) == ic.TOP_K
    assert Image.open(heat).size == (ic.IMAGE_SIZE, ic.IMAGE_SIZE)
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    with pytest.raises(AppError, match="at least 16 pixels"):
        space_client.predict(handle_file(str(tmp_path / "dot.png")), api_name="/predict")
    label, _ = space_client.predict(handle_file(str(PHOTOS / "chelsea.png")), api_name="/predict")
    assert label["label"] in EXPECTED["chelsea.png"]
