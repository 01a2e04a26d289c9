"""The course's sketch-recognition CNN (ch9.4, the Pictionary demo): three 3 x 3 conv + ReLU + max-pool
stages (32, 64, 128 channels), a 256-unit hidden layer, one logit per class. Input: (batch, 1, 28, 28) in [0, 1].
Saved as model.safetensors + config.json (labels), the folder layout every checkpoint of this project has."""

from __future__ import annotations

import json
from pathlib import Path

from torch import nn


class DigitCNN(nn.Sequential):
    def __init__(self, labels: list[str]):
        super().__init__(
            nn.Conv2d(1, 32, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1152, 256), nn.ReLU(), nn.Linear(256, len(labels)))
        self.labels = list(labels)

    def save(self, folder: str | Path) -> Path:
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self.state_dict().items()}, folder / "model.safetensors")
        (folder / "config.json").write_text(json.dumps({"architecture": "DigitCNN", "labels": self.labels,
                                                        "input": [1, 28, 28]}, indent=2) + "\n")
        return folder

    @classmethod
    def from_folder(cls, folder: str | Path) -> "DigitCNN":
        from safetensors.torch import load_file

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        net = cls(config["labels"])
        net.load_state_dict(load_file(folder / "model.safetensors"))
        return net


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
