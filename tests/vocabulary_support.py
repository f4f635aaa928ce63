"""Helpers shared by the tests of the phrase-vocabulary text coders (tag-context, tag-lookup, tag-prefix)."""
from __future__ import annotations

import json
import random
from pathlib import Path

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


def check_builder_tables(tool: str, model_class: type, eval_path: Path, max_len: int):
    """tools/TOOL.py's table step on 300 evaluation records: same output twice, on tag-context-v1's pinned vocabulary,
    a valid model (``model_class``) that round-trips 20 of them. Returns the loaded builder module."""
    import importlib.util
    import sys

    from aigif_ref.codecs import text
    from aigif_ref.registry import default_registry

    spec = importlib.util.spec_from_file_location(tool, Path(__file__).resolve().parents[1] / "tools" / f"{tool}.py")
    builder = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = builder
    spec.loader.exec_module(builder)
    from build_tag_lookup_model import vocabulary  # the shared vocabulary step (tools/ is on the path the builder set)

    phrases, sha = vocabulary()
    assert sha == default_registry().enum("text_compressors")[text.TAG_CONTEXT_CODE]["sha256"]
    rows = [(r["prompt"], r["negative_prompt"]) for r in
            (json.loads(line) for line in eval_path.read_text(encoding="utf-8").splitlines()[:300])]
    vocab = PhraseVocabulary(phrases)
    first, second = builder.build_tables(vocab, rows), builder.build_tables(vocab, rows)
    assert first == second and any(f["contexts"] for f in first)
    model = model_class(phrases, [f["order0"] for f in first], [f["contexts"] for f in first])
    for p, n in rows[:20]:
        strings = [p.encode(), n.encode()]
        assert model.decode(model.encode(strings), 2, max_len) == strings
    return builder
