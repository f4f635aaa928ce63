"""Text compressors: how the prompt and negative prompt are stored.

A text block holds one string (the prompt) or two (prompt, negative prompt) as
exact UTF-8 bytes. Each compressor maps that list to bytes with exactly one
valid output per input (spec/bitstream.md, "Text block"):

* 0 none: prompt alone, or uvarint(len(prompt)) + prompt + negative;
* 1 zlib: zlib (RFC 1950) of the "none" payload. Since spec 1.1 a reader accepts
  any zlib stream of the payload (platform deflates differ), so this is the one
  part of a file with more than one valid encoding; the writer uses level 9 and
  never picks zlib on its own;
* 2 phrase-huffman-v1: static phrase/Huffman code (spec/text/phrase-huffman.md),
  canonical by construction; best on short prompts;
* 3 tag-context-v1: order-1 context model over a tag/phrase vocabulary with range
  coding (spec/text/tag-context.md), canonical by construction; best on
  community tag-style prompts and long shared negative prompts;
* tag-lookup-v1 (the code the registry gives that name): tag-context's symbols and contexts with
  tables of power-of-two totals, decoded by one slot look-up per symbol (spec/text/tag-lookup.md),
  canonical by construction; several times faster to decode than tag-context.
* tag-prefix-v1: the same alphabet and contexts with canonical prefix (Huffman) codes instead of a range
  coder (spec/text/tag-prefix.md): table look-ups only, no arithmetic; the fastest of them to decode,
  so the writer gives it every tie.
"""
from __future__ import annotations

import io
import zlib
from functools import lru_cache
from typing import Callable, Sequence

from aigif_ref.errors import AigifError
from aigif_ref.grammar import limits
from aigif_ref.grammar.primitives import encode_uvarint, read_uvarint

ZLIB_LEVEL = 9


def _none_encode(strings: Sequence[bytes]) -> bytes:
    if len(strings) == 1:
        return strings[0]
    return encode_uvarint(len(strings[0])) + strings[0] + strings[1]


def _none_decode(block: bytes, n_strings: int) -> list[bytes]:
    if n_strings == 1:
        return [block]
    stream = io.BytesIO(block)
    length = read_uvarint(stream, "prompt length")
    start = stream.tell()
    if length > len(block) - start:
        raise AigifError("AIGIF_E_TRUNCATED", "prompt length runs past the text block")
    return [block[start:start + length], block[start + length:]]


def _zlib_encode(strings: Sequence[bytes]) -> bytes:
    return zlib.compress(_none_encode(strings), ZLIB_LEVEL)


def _zlib_decode(block: bytes, n_strings: int) -> list[bytes]:
    bound = 2 * limits.MAX_STRING_BYTES + limits.MAX_UVARINT_BYTES
    inflater = zlib.decompressobj()
    try:
        payload = inflater.decompress(block, bound + 1)
    except zlib.error as exc:
        raise AigifError("AIGIF_E_DECOMPRESS", "zlib text block is not a valid zlib stream (damaged file)") from exc
    if len(payload) > bound or inflater.unconsumed_tail:
        raise AigifError("AIGIF_E_LIMIT", f"zlib text block inflates beyond {bound} bytes")
    if not inflater.eof or inflater.unused_data:
        raise AigifError("AIGIF_E_DECOMPRESS", "zlib text block is incomplete or has trailing bytes")
    # Any deflate stream of the payload is valid (spec 1.1): no re-compression check.
    return _none_decode(payload, n_strings)


ZLIB_CODE = 1
PHRASE_HUFFMAN_CODE = 2
TAG_CONTEXT_CODE = 3


def _registry_code(name: str) -> int:
    """The code the shipped registry assigns to ``name`` (codes after 3 are looked up, not copied)."""
    from aigif_ref.registry import default_registry

    return default_registry().enum_code("text_compressors", name)


TAG_LOOKUP_CODE = _registry_code("tag-lookup-v1")
TAG_PREFIX_CODE = _registry_code("tag-prefix-v1")


_RESOLVED: dict[tuple[int, int], tuple] = {}  # (code, id of the registry or 0) -> (registry, model): decoding a
# block must not pay the registry look-up and the loader's cache key again (a microsecond of a ~50 us decode)


def _model(code: int, registry=None):
    """The normative model file the registry names for ``code`` (the shipped registry if none), used only if its sha256 matches."""
    key = (code, id(registry) if registry is not None else 0)
    hit = _RESOLVED.get(key)
    if hit is not None and hit[0] is registry:
        return hit[1]
    from aigif_ref.registry import default_registry

    # The codec is the spec's (section 7): a registry that lacks the entry still gets it; one that has the
    # entry pins which model file and sha256 are used.
    entry = (registry or default_registry()).enum("text_compressors").get(code) \
        or default_registry().enum("text_compressors")[code]
    model = _load_model(code, entry["name"], entry["model_file"], entry["sha256"])
    if len(_RESOLVED) >= 16:  # a few registries at most; bounded whatever the caller does
        _RESOLVED.clear()
    _RESOLVED[key] = (registry, model)
    return model


@lru_cache(maxsize=8)  # every model-file codec's model, and a few from other registries
def _load_model(code: int, name: str, model_file: str, sha256: str):
    from aigif_ref.codecs.model_file import read_model_file
    from aigif_ref.codecs.phrase_huffman import PhraseHuffmanModel
    from aigif_ref.codecs.tag_context import TagContextModel
    from aigif_ref.codecs.tag_lookup import TagLookupModel
    from aigif_ref.codecs.tag_prefix import TagPrefixModel
    from aigif_ref.registry import REPO_ROOT

    data = read_model_file(REPO_ROOT / model_file, name, sha256)
    model_class = {TAG_CONTEXT_CODE: TagContextModel, TAG_LOOKUP_CODE: TagLookupModel,
                   TAG_PREFIX_CODE: TagPrefixModel}.get(code, PhraseHuffmanModel)
    return model_class.from_json(data)


def _model_codec(code: int) -> tuple[Callable, Callable]:
    """(encoder, decoder) of a compressor whose tables are the model file the registry names for ``code``."""
    def encode(strings: Sequence[bytes], registry=None) -> bytes:
        return _model(code, registry).encode(list(strings))

    def decode(block: bytes, n_strings: int, registry=None) -> list[bytes]:
        return _model(code, registry).decode(block, n_strings, limits.MAX_STRING_BYTES)

    return encode, decode


Encoder = Callable[[Sequence[bytes]], bytes]
Decoder = Callable[[bytes, int], "list[bytes]"]

# Registry code -> (encoder, decoder). Codes and names: registry.json "text_compressors".
CODECS: dict[int, tuple[Encoder, Decoder]] = {
    0: (_none_encode, _none_decode),
    ZLIB_CODE: (_zlib_encode, _zlib_decode),
    **{code: _model_codec(code) for code in (PHRASE_HUFFMAN_CODE, TAG_CONTEXT_CODE, TAG_LOOKUP_CODE, TAG_PREFIX_CODE)},
}
# Codecs whose data the registry names (a model file): they are also given the registry in use.
REGISTRY_DATA_CODECS = {PHRASE_HUFFMAN_CODE, TAG_CONTEXT_CODE, TAG_LOOKUP_CODE, TAG_PREFIX_CODE}


def _registry_kw(compressor: int, registry) -> dict:
    return {"registry": registry} if compressor in REGISTRY_DATA_CODECS and registry is not None else {}


def check_strings(strings: Sequence[bytes]) -> None:
    for s in strings:
        if len(s) > limits.MAX_STRING_BYTES:
            raise AigifError("AIGIF_E_LIMIT", f"string of {len(s)} bytes exceeds {limits.MAX_STRING_BYTES}")


def encode_text(compressor: int, strings: Sequence[bytes], registry=None) -> bytes:
    if compressor not in CODECS:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"text compressor {compressor} is not known")
    check_strings(strings)
    block = CODECS[compressor][0](strings, **_registry_kw(compressor, registry))
    if len(block) > limits.MAX_TEXT_BLOCK_BYTES:
        raise AigifError("AIGIF_E_LIMIT", f"text block of {len(block)} bytes exceeds {limits.MAX_TEXT_BLOCK_BYTES}")
    return block


def decode_text(compressor: int, block: bytes, n_strings: int, registry=None) -> list[bytes]:
    if compressor not in CODECS:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"text compressor {compressor} is not known")
    strings = CODECS[compressor][1](block, n_strings, **_registry_kw(compressor, registry))
    check_strings(strings)
    return strings


# Compressors with exactly one block per input. Only these are chosen automatically: zlib's
# block size depends on the deflate implementation, so choosing by size among all of them would
# make the choice itself, and thus the whole file, differ between platforms.
CANONICAL_CODECS = (0, PHRASE_HUFFMAN_CODE, TAG_CONTEXT_CODE, TAG_LOOKUP_CODE, TAG_PREFIX_CODE)
# Ties go to tag-prefix-v1 (the cheapest to decode), then to the lowest code (spec/bitstream.md 7.3).
TIE_ORDER = (TAG_PREFIX_CODE, *sorted(c for c in CANONICAL_CODECS if c != TAG_PREFIX_CODE))


def smallest(strings: Sequence[bytes], registry=None) -> tuple[int, bytes]:
    """(code, block) of the canonical compressor giving the smallest stored block; ties as TIE_ORDER."""
    best: tuple[int, int, bytes] | None = None
    for code in TIE_ORDER:
        block = encode_text(code, strings, registry)
        size = len(encode_uvarint(len(block))) + len(block)
        if best is None or size < best[0]:
            best = (size, code, block)
    return best[1], best[2]
