"""phrase-Huffman v1: the static phrase/Huffman text code (text compressor 2).

Normative description: spec/text/phrase-huffman.md. In short: symbols 0..255 are
literal bytes, 256 is END, 257+i is phrase i of the model file; a string is
tokenized by greedy longest match, each token and a closing END are written as
canonical (DEFLATE-style) Huffman codes, MSB first, zero-padded to a byte. The
code is canonical by construction and the decoder rejects every other block.

Pure standard library. The model is loaded once; decoding is table driven (one
lookup in a 2**15-entry table per symbol) and the canonicality check re-tokenizes
with a precompiled trie regex, which is the greedy longest-match rule done in C.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from aigif_ref.codecs.model_file import model_error, parse_model_json, read_model_file
from aigif_ref.errors import AigifError

MODEL_FORMAT = "aigif-phrase-huffman"
MODEL_VERSION = 1
MAX_CODE_LENGTH = 15  # the decoder's 15 / 0x7FFF below are this
MAX_PHRASE_BYTES = 64
END = 256
FIRST_PHRASE = 257

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "spec" / "text" / "phrase-huffman-v1.json"


def _model_error(message: str) -> AigifError:
    return model_error("phrase-Huffman", message)


def canonical_codes(lengths: Sequence[int]) -> list[int]:
    """Codes from code lengths as RFC 1951 3.2.2: by (length, symbol), increasing."""
    max_len = max(lengths)
    count = [0] * (max_len + 1)
    for n in lengths:
        count[n] += 1
    count[0] = 0
    next_code = [0] * (max_len + 2)
    code = 0
    for bits in range(1, max_len + 1):
        code = (code + count[bits - 1]) << 1
        next_code[bits] = code
    codes = [0] * len(lengths)
    for sym, n in enumerate(lengths):
        if n:
            codes[sym] = next_code[n]
            next_code[n] += 1
    return codes


def tokenize_reference(s: bytes, phrases: Sequence[bytes]) -> list[int]:
    """The greedy longest-match rule spelled out (slow; the spec's definition)."""
    index = {p: FIRST_PHRASE + k for k, p in enumerate(phrases)}
    longest = max((len(p) for p in phrases), default=0)
    out = []
    i = 0
    while i < len(s):
        for n in range(min(longest, len(s) - i), 1, -1):
            sym = index.get(s[i:i + n])
            if sym is not None:
                out.append(sym)
                i += n
                break
        else:
            out.append(s[i])
            i += 1
    return out


def _trie_regex(phrases: Sequence[bytes]) -> re.Pattern[bytes]:
    """A regex whose findall() is the greedy longest-match tokenization.

    Trie of the phrases: at each node the children are tried first (at most one
    can match the next byte); a node that ends a phrase adds an empty alternative
    last, so backtracking falls back to the longest phrase that matched. A
    position where no phrase matches yields one byte (the final ``.``).
    """
    root: dict = {}
    for p in phrases:
        node = root
        for b in p:
            node = node.setdefault(b, {})
        node[None] = True

    def pattern(node: dict) -> bytes:
        alts = [re.escape(bytes([b])) + pattern(node[b]) for b in sorted(k for k in node if k is not None)]
        if None in node:  # a phrase ends here: the empty alternative, tried last
            alts.append(b"")
        return alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"

    alts = [re.escape(bytes([b])) + pattern(root[b]) for b in sorted(root)]
    return re.compile(b"(?:" + b"|".join(alts + [b"."]) + b")", re.DOTALL)


class PhraseHuffmanModel:
    """A phrase list and one code length per symbol; encodes and decodes text blocks."""

    def __init__(self, phrases: Sequence[bytes], code_lengths: Sequence[int]) -> None:
        phrases = [bytes(p) for p in phrases]
        lengths = list(code_lengths)
        if len(set(phrases)) != len(phrases):
            raise _model_error("duplicate phrase")
        if any(not 2 <= len(p) <= MAX_PHRASE_BYTES for p in phrases):
            raise _model_error(f"a phrase is not 2..{MAX_PHRASE_BYTES} bytes long")
        if len(lengths) != FIRST_PHRASE + len(phrases):
            raise _model_error(f"{len(lengths)} code lengths for {FIRST_PHRASE + len(phrases)} symbols")
        if any(type(n) is not int or not 1 <= n <= MAX_CODE_LENGTH for n in lengths):
            raise _model_error(f"code lengths must be integers in 1..{MAX_CODE_LENGTH}")
        kraft = sum(1 << (MAX_CODE_LENGTH - n) for n in lengths)
        if kraft != 1 << MAX_CODE_LENGTH:
            state = "over-subscribed" if kraft > 1 << MAX_CODE_LENGTH else "incomplete"
            raise _model_error(f"code lengths are {state}")
        self.phrases = phrases
        self.code_lengths = lengths
        self.codes = canonical_codes(lengths)
        self.tokens: list[bytes] = [bytes([b]) for b in range(256)] + [b""] + phrases
        self._regex = _trie_regex(phrases)
        self._symbol_of = {tok: sym for sym, tok in enumerate(self.tokens) if sym != END}
        # token bytes -> its code as a string of '0'/'1' (encoder)
        self._bits_of = {tok: format(self.codes[sym], f"0{lengths[sym]}b")
                         for sym, tok in enumerate(self.tokens) if sym != END}
        self._end_bits = format(self.codes[END], f"0{lengths[END]}b")
        # decoder: every 15-bit window -> (code length, token bytes or None for END, token length)
        table: list = [None] * (1 << MAX_CODE_LENGTH)
        for sym, (code, n) in enumerate(zip(self.codes, lengths)):
            entry = (n, None, 0) if sym == END else (n, self.tokens[sym], len(self.tokens[sym]))
            first = code << (MAX_CODE_LENGTH - n)
            table[first:first + (1 << (MAX_CODE_LENGTH - n))] = [entry] * (1 << (MAX_CODE_LENGTH - n))
        self._table = table

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_json(cls, text: str | bytes) -> "PhraseHuffmanModel":
        doc = parse_model_json(text, "phrase-Huffman", MODEL_FORMAT, MODEL_VERSION)
        if doc.get("max_code_length") != MAX_CODE_LENGTH:
            raise _model_error(f"max_code_length must be {MAX_CODE_LENGTH}")
        phrases, lengths = doc.get("phrases"), doc.get("code_lengths")
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise _model_error("phrases must be a list of strings")
        if not isinstance(lengths, list):
            raise _model_error("code_lengths must be a list")
        try:
            encoded = [p.encode("utf-8") for p in phrases]
        except UnicodeEncodeError:
            raise _model_error("a phrase is not valid Unicode text") from None
        return cls(encoded, lengths)

    @classmethod
    def load(cls, path: str | Path) -> "PhraseHuffmanModel":
        return cls.from_json(read_model_file(path, "phrase-Huffman"))

    # ----------------------------------------------------------------- encoding
    def tokenize(self, s: bytes) -> list[bytes]:
        """Greedy longest-match tokens of ``s`` (each a literal byte or a phrase)."""
        return self._regex.findall(s)

    def symbols(self, s: bytes) -> list[int]:
        """The symbols of ``s`` without the closing END."""
        return list(map(self._symbol_of.__getitem__, self._regex.findall(s)))

    def encode(self, strings: Sequence[bytes]) -> bytes:
        """The one valid block for one string (prompt) or two (prompt, negative prompt)."""
        if len(strings) not in (1, 2):
            raise ValueError("phrase-Huffman codes one or two strings")
        bits_of, end = self._bits_of, self._end_bits
        parts = []
        for s in strings:
            parts.extend(map(bits_of.__getitem__, self._regex.findall(s)))
            parts.append(end)
        bits = "".join(parts)
        nbytes = (len(bits) + 7) >> 3
        return (int(bits, 2) << (8 * nbytes - len(bits))).to_bytes(nbytes, "big")

    # ----------------------------------------------------------------- decoding
    def decode(self, block: bytes, n_strings: int, max_len: int) -> list[bytes]:
        """The strings of ``block``; AigifError TRUNCATED / LIMIT / NONCANONICAL otherwise.

        Errors follow the spec's sequential order: symbol by symbol, a code that
        runs past the block is TRUNCATED, a token that makes its string longer
        than ``max_len`` is LIMIT; after the last END, the padding and then the
        greedy tokenization are checked (NONCANONICAL).
        """
        if n_strings not in (1, 2):
            raise ValueError("phrase-Huffman codes one or two strings")
        table = self._table
        total = 8 * len(block)
        data = bytes(block) + b"\0\0"  # zero bits past the end: a 15-bit peek never runs dry
        # Bit window: `buf` holds the bytes data[:i]; its low q + 15 bits are not consumed yet
        # (q is where the next 15-bit peek starts). Bits consumed = 8*i - q - 15, which is
        # past the block's end exactly when q < floor = 8*i - 15 - total.
        buf = i = 0
        q = -15
        floor = -15 - total
        out: list[bytes] = []
        token_lists: list[list[bytes]] = []
        for _ in range(n_strings):
            toks: list[bytes] = []
            append = toks.append
            size = 0
            while True:
                if q < 0:  # refill: fewer than 15 unconsumed bits in the window
                    if q <= floor:  # nothing of the block left (or a code already ran past it)
                        raise AigifError("AIGIF_E_TRUNCATED", "phrase-Huffman block ends before its last END")
                    chunk = data[i:i + 64]
                    grow = 8 * len(chunk)
                    buf = ((buf & ((1 << (q + 15)) - 1)) << grow) | int.from_bytes(chunk, "big")
                    q += grow
                    i += len(chunk)
                    floor += grow
                n, tok, k = table[(buf >> q) & 0x7FFF]
                q -= n
                if tok is None:  # END
                    break
                size += k
                if size > max_len:
                    if q < floor:
                        raise AigifError("AIGIF_E_TRUNCATED", "phrase-Huffman block ends inside a code")
                    raise AigifError("AIGIF_E_LIMIT", f"phrase-Huffman string exceeds {max_len} bytes")
                append(tok)
            if q < floor:
                raise AigifError("AIGIF_E_TRUNCATED", "phrase-Huffman block ends inside a code")
            out.append(b"".join(toks))
            token_lists.append(toks)
        pos, floor = q + 15, floor + 15  # unconsumed bits in the window; the block's end
        # pos - floor = bits of the block after the last END: the padding, fewer than 8, all zero
        if pos - floor >= 8:
            raise AigifError("AIGIF_E_NONCANONICAL", "phrase-Huffman block has bytes after its last END")
        if buf & ((1 << pos) - 1):
            raise AigifError("AIGIF_E_NONCANONICAL", "phrase-Huffman padding bits are not zero")
        findall = self._regex.findall
        for s, toks in zip(out, token_lists):
            if findall(s) != toks:
                raise AigifError("AIGIF_E_NONCANONICAL", "phrase-Huffman tokens are not the greedy longest match")
        return out


@lru_cache(maxsize=4)
def default_model(path: str | Path | None = None) -> PhraseHuffmanModel:
    """The phrase-Huffman v1 model, from ``path`` or spec/text/phrase-huffman-v1.json."""
    return PhraseHuffmanModel.load(DEFAULT_MODEL_PATH if path is None else path)
