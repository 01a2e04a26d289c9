"""Held-out splits by group (document, source package, article): no group on both sides."""

from __future__ import annotations

import random
from collections import defaultdict


def stratified_group_split(group_labels: dict[str, str], dev_fraction: float = 0.5,
                           seed: int = 0) -> dict[str, set[str]]:
    """Seeded split of group names into dev/test, stratified by each group's label.

    `round(n * dev_fraction)` of each label's groups go to dev (at least one, and at most n - 1, so a label
    with >= 2 groups is on both sides).
    """
    by_label: dict[str, list[str]] = defaultdict(list)
    for group, label in group_labels.items():
        by_label[label].append(group)
    rng = random.Random(seed)
    split = {"dev": set(), "test": set()}
    for label in sorted(by_label):
        names = sorted(by_label[label])
        rng.shuffle(names)
        n_dev = 1 if len(names) == 1 else min(max(1, round(len(names) * dev_fraction)), len(names) - 1)
        split["dev"].update(names[:n_dev])
        split["test"].update(names[n_dev:])
    return split
