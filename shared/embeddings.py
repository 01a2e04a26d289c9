"""Sentence embeddings with all-MiniLM-L6-v2, as it was trained: mean pooling over the tokens, then L2
normalisation (so a dot product is a cosine). Shared by the zero-shot classifier and semantic search.

The encoder is loaded by sentence-transformers (`SentenceTransformer(...)`, the packaged copy offline, through
`shared.hub.base_model_path`) once per process, at the serving precision of `shared.modeling` and sharing its
tensors with the other MiniLM tasks.
"""

from __future__ import annotations

import numpy as np

from shared import compute, hub

ENCODER = hub.MINILM
MAX_MODEL_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length (sentence_bert_config.json)


def get_encoder(model_id: str = ENCODER, max_seq_length: int = MAX_MODEL_TOKENS, precision: str | None = None):
    """A sentence-transformers encoder for a Hub id (the packaged copy of all-MiniLM-L6-v2 offline) at `precision`
    (default `shared.modeling.serving_precision()`), once per process."""
    from shared import modeling

    precision = precision or modeling.serving_precision()

    def build():
        from sentence_transformers import SentenceTransformer

        encoder = SentenceTransformer(hub.base_model_path(model_id), device="cpu")
        encoder.max_seq_length = max_seq_length
        return modeling.for_serving(encoder.eval(), precision, model_id if model_id in hub.PACKAGED else None)

    return modeling.cached(("sentence-transformer", model_id, max_seq_length, precision), build)


@compute.on_it
def embed(encoder, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
    """(len(texts), hidden) float32 unit vectors: mean pooling + L2 normalisation, in input order."""
    return encoder.encode(list(texts), batch_size=batch_size, show_progress_bar=progress,
                          normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)
