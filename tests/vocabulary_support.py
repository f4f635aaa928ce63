"""Helpers shared by the tests of the phrase-vocabulary text coders (tag-context, tag-lookup, tag-prefix)."""
from __future__ import annotations

import random

from aigif_ref.codecs.tag_context import MAX_PHRASE_BYTES, PhraseVocabulary


def random_tokenization(model: PhraseVocabulary, s: bytes, rnd: random.Random) -> list[int]:
    """Any split of s into the model's tokens (each position: a random phrase that matches there, or the byte)."""
    phrases = set(model.phrases)
    out, i = [], 0
    while i < len(s):
        options = [n for n in range(2, MAX_PHRASE_BYTES + 1) if s[i:i + n] in phrases]
        n = rnd.choice(options + [1]) if rnd.random() < 0.7 else max(options, default=1)
        out.append(model._symbol_of[s[i:i + n]])
        i += n
    return out
