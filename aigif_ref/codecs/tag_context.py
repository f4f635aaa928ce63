"""tag-context v1: an order-1 context model with range coding (text compressor 3).

Normative description: spec/text/tag-context.md. In short: each string is first
case-folded (an uppercase ASCII letter X becomes the escape byte 0x01 and x; the
byte 0x01 itself becomes 0x01 0x01), then cut into tokens by greedy longest match
over the model's vocabulary (literal bytes where no phrase matches). Each token
is coded with the frequencies of the context named by the previous symbol (END
at the start of a string), or escaped to the string's order-0 table when the
context lacks it. The range coder works on exact integers (56-bit range, 20-bit
frequency totals) and its final bytes are the shortest, then smallest, byte
string inside the final interval, so every input has exactly one block and the
decoder rejects every other block.

Pure standard library, integers only. Decoding is table driven: one bisect in a
compact cumulative-frequency array per symbol, the next table found by the symbol.
The canonicality check does not re-tokenize: a token is the greedy choice unless a
longer phrase starting with it matches there, which a cached rule for the pair
(token, next token) decides for almost every token (spec steps 2-4 are unchanged;
the tests check the shortcut against re-tokenizing).
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Sequence

from aigif_ref.codecs.model_file import model_error, parse_model_json, read_model_file
from aigif_ref.errors import AigifError

MODEL_FORMAT = "aigif-tag-context"
MODEL_VERSION = 1
TOTAL_BITS = 20  # every frequency table sums to 2**20
TOTAL = 1 << TOTAL_BITS
RANGE_BYTES = 7  # the coder's window: range is kept in [2**48, 2**56]
RANGE_TOP = 1 << (8 * RANGE_BYTES)
RANGE_BOTTOM = 1 << (8 * RANGE_BYTES - 8)
MAX_PHRASE_BYTES = 64
CASE_ESCAPE = 0x01
END = 256
ESC = 257
FIRST_PHRASE = 258
FIELDS = 2  # field 0: the prompt; field 1: the negative prompt
LONGER_LIST_MAX = 8  # greedy check: above this many phrases to test, find the longest match instead
PAIR_CACHE_MAX = 1 << 16
# Decoders that note, per decoded symbol, what the greedy test must do for the pair it ends (see _check_of):
LOOKUP = "lookup"  # the pair's rule is looked up after decoding (the previous token was not known in advance)
LONGER = "longer"  # search the sorted phrase list
LONG_RULE_MAX = 64  # a pair with more longer phrases than this gets them grouped by the next byte (a dict)
GROUP_RULE_MAX = 4096  # ... and with more than this, the sorted phrase list is searched
BUCKET_BITS, BUCKET_MIN_SYMBOLS = 10, 1024  # decoder: tables this big get 2**10 buckets of slots

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "spec" / "text" / "tag-context-v1.json"

_UPPER_OR_ESCAPE = re.compile(rb"[A-Z\x01]")
_ESCAPED = re.compile(rb"\x01(.?)", re.DOTALL)
_RAW_UPPER = re.compile(rb"[A-Z]")


def _model_error(message: str) -> AigifError:
    return model_error("tag-context", message)


def _noncanonical(message: str) -> AigifError:
    return AigifError("AIGIF_E_NONCANONICAL", f"tag-context block: {message}")


def case_fold(s: bytes) -> bytes:
    """The case transform: 'A'..'Z' -> 0x01 + lowercase; 0x01 -> 0x01 0x01."""
    if not _UPPER_OR_ESCAPE.search(s):
        return s
    return _UPPER_OR_ESCAPE.sub(lambda m: b"\x01\x01" if m[0] == b"\x01" else b"\x01" + m[0].lower(), s)


_ESCAPABLE = bytes(range(0x61, 0x7B)) + b"\x01"  # what may follow the case escape: 'a'..'z' or 0x01


def case_unfold(t: bytes) -> bytes:
    """The inverse of case_fold; NONCANONICAL for any t that case_fold never writes.

    Done with C-level bytes and regex calls only (no Python step per escape): it runs on every decoded string.
    """
    if t.lower() != t:
        raise AigifError("AIGIF_E_NONCANONICAL", "text block: an uppercase letter is written without the case escape")
    if b"\x01" not in t:
        return t
    parts = _ESCAPED.split(t)  # text, escaped byte, text, ...: an escape at the very end captures b""
    escaped = b"".join(parts[1::2])
    if len(escaped) != len(parts) // 2 or escaped.translate(None, _ESCAPABLE):
        raise AigifError("AIGIF_E_NONCANONICAL", "text block: the case escape 0x01 is not followed by 'a'..'z' or 0x01")
    parts[1::2] = map(bytes.upper, parts[1::2])
    return b"".join(parts)


class _Table:
    """One frequency table: symbols in increasing order, their frequencies summing to TOTAL."""

    __slots__ = ("symbols", "cum", "freq", "index")

    def __init__(self, symbols: list[int], freqs: list[int]) -> None:
        self.symbols = symbols
        self.freq = freqs
        cum, c = [], 0
        for f in freqs:
            cum.append(c)
            c += f
        self.cum = cum
        self.index = {s: i for i, s in enumerate(symbols)}


class GreedyTokenizer:
    """Greedy longest match over a phrase set (spec/text/tag-context.md, step 2): at each position the
    longest phrase equal to the bytes there, else one literal byte.

    The same tokens as phrase_huffman's trie regex (a test checks), but built in milliseconds: compiling
    a regex of 30,000 phrases costs over a second in every process that encodes or decodes. Phrases of
    KEY bytes or more are found through their first KEY bytes, which leaves few lengths to try.
    """

    KEY = 4

    def __init__(self, phrases: Sequence[bytes]) -> None:
        self._phrases = frozenset(phrases)
        by_key: dict[bytes, set[int]] = {}
        for p in self._phrases:
            if len(p) >= self.KEY:
                by_key.setdefault(p[:self.KEY], set()).add(len(p))
        self._long = {key: tuple(sorted(lengths, reverse=True)) for key, lengths in by_key.items()}
        self._short = tuple(sorted({len(p) for p in self._phrases if 0 < len(p) < self.KEY}, reverse=True))

    def findall(self, s: bytes) -> list[bytes]:
        phrases, long_lengths, short_lengths, key = self._phrases, self._long, self._short, self.KEY
        out: list[bytes] = []
        i, n = 0, len(s)
        while i < n:
            token = None
            for length in long_lengths.get(s[i:i + key], ()):
                if i + length <= n and s[i:i + length] in phrases:
                    token = s[i:i + length]
                    break
            else:
                for length in short_lengths:
                    if i + length <= n and s[i:i + length] in phrases:
                        token = s[i:i + length]
                        break
            if token is None:
                token = s[i:i + 1]
            out.append(token)
            i += len(token)
        return out


class PhraseVocabulary:
    """Symbols (bytes, END, ESC, phrases), greedy tokenization of case-folded text, the coding steps
    (escape rule) and the decoder's greedy check (spec steps 1, 2 and 4); shared by the text coders that
    use this alphabet."""

    coder_name = "a phrase-vocabulary coder"  # in messages; each coder names itself
    model_format, model_version = "", 0  # its model file's "format" and "version"; each coder names its own

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_json(cls, text: str | bytes):
        """The coder's model from its file's text: the checks every coder of this alphabet shares, then the
        coder's own (``_check_model``) and its tables (the subclass's constructor); AIGIF_E_REGISTRY otherwise."""
        doc = parse_model_json(text, cls.coder_name, cls.model_format, cls.model_version)
        phrases, fields = doc.get("phrases"), doc.get("fields")
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise model_error(cls.coder_name, "phrases must be a list of strings")
        if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
            raise model_error(cls.coder_name, "fields must be a list of objects")
        cls._check_model(doc)
        try:
            encoded = [p.encode("utf-8") for p in phrases]
        except UnicodeEncodeError:
            raise model_error(cls.coder_name, "a phrase is not valid Unicode text") from None
        return cls(encoded, [f.get("order0") for f in fields], [f.get("contexts") for f in fields])

    @classmethod
    def _check_model(cls, doc: dict) -> None:
        """A coder's own checks of its model file's top-level object (after the shared ones)."""

    @classmethod
    def load(cls, path: str | Path):
        return cls.from_json(read_model_file(path, cls.coder_name))

    def __init__(self, phrases: Sequence[bytes]) -> None:
        phrases = [bytes(p) for p in phrases]
        if len(set(phrases)) != len(phrases):
            raise _model_error("duplicate phrase")
        if any(not 2 <= len(p) <= MAX_PHRASE_BYTES for p in phrases):
            raise _model_error(f"a phrase is not 2..{MAX_PHRASE_BYTES} bytes long")
        if any(_RAW_UPPER.search(p) for p in phrases):
            raise _model_error("a phrase holds an uppercase letter (phrases are case-folded)")
        nsym = FIRST_PHRASE + len(phrases)
        self.phrases = phrases
        self.nsym = nsym
        self.tokens: list[bytes] = [bytes([b]) for b in range(256)] + [b"", b""] + phrases
        self._symbol_of = {tok: sym for sym, tok in enumerate(self.tokens) if sym not in (END, ESC)}
        self._tokenizer = GreedyTokenizer(phrases)
        self._token_len = [len(t) for t in self.tokens]
        self._sorted_phrases = sorted(phrases)
        self._phrase_set = frozenset(phrases)
        # greedy check: which tokens start a longer phrase (a phrase that does sorts just before the first
        # such; a byte is looked up), and a cache of rules for token pairs (filled as pairs are met)
        ordered = self._sorted_phrases
        self._extends = [False] * nsym
        for shorter, longer in zip(ordered, ordered[1:]):
            if longer.startswith(shorter):
                self._extends[self._symbol_of[shorter]] = True
        for byte in range(256):
            j = bisect_right(ordered, bytes([byte]))
            self._extends[byte] = j < len(ordered) and ordered[j][0] == byte
        self._pairs: dict[tuple[int, int], bool | tuple[bytes, ...] | None] = {}
        self._lookup_rules: dict[int, object] = {}  # pair a * nsym + b decoded in order-0 -> its check

    def _context_of(self, ctx: object, known: dict, values_key: str) -> tuple[int, list[int], list[int]]:
        """A model file's context object: its 'after', 'symbols' and ``values_key`` list, after the checks every coder
        of this alphabet makes (``known``: the field's contexts so far); AIGIF_E_REGISTRY otherwise."""
        if not isinstance(ctx, dict):
            raise model_error(self.coder_name, "a context must be an object")
        prev, syms, values = ctx.get("after"), ctx.get("symbols"), ctx.get(values_key)
        if type(prev) is not int or not 0 <= prev < self.nsym or prev == ESC or prev in known:
            raise model_error(self.coder_name, f"context 'after' {prev!r} is not a distinct symbol other than ESC")
        if (not isinstance(syms, list) or not isinstance(values, list) or len(syms) != len(values)
                or any(type(x) is not int for x in syms + values)):
            raise model_error(self.coder_name, f"context symbols and {values_key} must be integer lists of one length")
        if (ESC not in syms or any(not 0 <= s < self.nsym for s in syms)
                or any(a >= b for a, b in zip(syms, syms[1:]))):
            raise model_error(self.coder_name, "context symbols must increase, lie in the alphabet and include ESC")
        return prev, list(syms), list(values)

    def coding_steps(self, strings: Sequence[bytes]) -> list[tuple[int, int, int]]:
        """(field, table key or -1 for order-0, symbol) for every coded symbol, ESC included."""
        steps = []
        for field, s in enumerate(strings):
            prev = END
            ctxs = self.contexts[field]
            for sym in self.symbols(s) + [END]:
                ctx = ctxs.get(prev)
                if ctx is not None:
                    if sym in ctx.index:
                        steps.append((field, prev, sym))
                    else:
                        steps.append((field, prev, ESC))
                        steps.append((field, -1, sym))
                else:
                    steps.append((field, -1, sym))
                prev = sym
        return steps

    def encode(self, strings: Sequence[bytes]) -> bytes:
        """The one valid block for one string (prompt) or two (prompt, negative prompt); a subclass
        (a coder of this alphabet) has ``contexts`` (per field: previous symbol -> table with ``index``) and
        ``encode_steps``."""
        if len(strings) not in (1, 2):
            raise ValueError(f"{self.coder_name} codes one or two strings")
        return self.encode_steps(self.coding_steps(strings))

    def tokenize(self, s: bytes) -> list[bytes]:
        """Greedy longest-match tokens of the case-folded ``s``."""
        return self._tokenizer.findall(case_fold(s))

    def symbols(self, s: bytes) -> list[int]:
        """The symbols of ``s`` without the closing END."""
        return list(map(self._symbol_of.__getitem__, self.tokenize(s)))

    def _phrases_after(self, prefix: bytes) -> tuple[bytes, ...] | None:
        """The phrases longer than ``prefix`` that start with it, in sorted order (None: more than LONGER_LIST_MAX)."""
        ordered = self._sorted_phrases
        lo = hi = bisect_right(ordered, prefix)  # prefix itself, if a phrase, sorts just before
        while hi < len(ordered) and ordered[hi].startswith(prefix):
            hi += 1
            if hi - lo > LONGER_LIST_MAX:
                return None
        return tuple(ordered[lo:hi])

    def _pair_rule(self, sym: int, nxt: int) -> bool | tuple[bytes, ...] | None:
        """For a token followed by another: False if a longer phrase than the first is a prefix of the two;
        else the longer phrases that start with both (to test against the text after them), None if too many."""
        first, both = self.tokens[sym], self.tokens[sym] + self.tokens[nxt]
        if any(both[:n] in self._phrase_set for n in range(len(first) + 1, len(both) + 1)):
            return False
        return self._phrases_after(both)

    def _longer_match(self, s: bytes, pos: int, length: int) -> bool:
        """Whether a phrase longer than ``length`` bytes matches ``s`` at ``pos`` (a few bisects).

        Every phrase that is a prefix of w sorts at or before q, the last phrase <= w, and is a prefix of q:
        so either q is a prefix of w (the longest such phrase) or the search goes on with w cut to its
        common prefix with q.
        """
        ordered = self._sorted_phrases
        w = s[pos:pos + MAX_PHRASE_BYTES]
        while len(w) > length:
            j = bisect_right(ordered, w)
            if j == 0:
                return False
            q = ordered[j - 1]
            n = min(len(q), len(w))
            common = n - (((int.from_bytes(q[:n], "big") ^ int.from_bytes(w[:n], "big")).bit_length() + 7) >> 3)
            if common == len(q):
                return common > length
            w = w[:common]
        return False

    def _is_greedy(self, folded: bytes, symbols: list[int]) -> bool:
        """Whether the greedy longest match of ``folded`` gives ``symbols`` (their bytes spell it).

        A token is the greedy choice at its position exactly when no longer phrase that starts with it
        matches there. Most tokens start no longer phrase; for the others the rule of the pair (token,
        next token) is cached, and it leaves at most a few phrases to test against the text (in C).
        """
        extends, pairs, token_len, pos = self._extends, self._pairs, self._token_len, 0
        last = len(symbols) - 1
        for i, sym in enumerate(symbols):
            if extends[sym] and i < last:  # the last token of a string has nothing after it to extend into
                key = (sym, symbols[i + 1])
                rule = pairs[key] if key in pairs else pairs.setdefault(key, self._pair_rule(*key))
                if rule is False:
                    return False
                if rule is None:
                    if self._longer_match(folded, pos, token_len[sym] + token_len[symbols[i + 1]]):
                        return False
                elif rule and folded.startswith(rule, pos):
                    return False
            pos += token_len[sym]
        if len(pairs) > PAIR_CACHE_MAX:  # bounded memory whatever the input
            pairs.clear()
        return True


    def _pairs_greedy(self, folded: bytes, symbols: list[int], indices: Sequence[int]) -> bool:
        """_is_greedy restricted to the tokens at ``indices`` (increasing): the caller knows the others pass."""
        extends, pairs, last = self._extends, self._pairs, len(symbols) - 1
        starts = None
        for i in indices:
            sym = symbols[i]
            if i < 0 or i >= last or not extends[sym]:
                continue
            key = (sym, symbols[i + 1])
            rule = pairs[key] if key in pairs else pairs.setdefault(key, self._pair_rule(*key))
            if rule is False:
                return False
            if rule is None or rule:
                if starts is None:
                    starts = [0, *accumulate(map(self._token_len.__getitem__, symbols))]
                if rule is None:
                    if self._longer_match(folded, starts[i], starts[i + 2] - starts[i]):
                        return False
                elif folded.startswith(rule, starts[i]):
                    return False
        if len(pairs) > PAIR_CACHE_MAX:
            pairs.clear()
        return True

    def _strings(self, symbol_lists: list[list[int]], pending_lists: list[list], max_len: int) -> list[bytes]:
        """The strings of decoded symbols (spec steps 3-4 after the entropy decoder): each string's bytes within
        the limits, case unfolded, and its tokens the greedy ones (the pairs ``pending_lists`` notes, see
        _checks_pass); AIGIF_E_LIMIT or AIGIF_E_NONCANONICAL otherwise, in that order."""
        tokens = self.tokens
        folded = [b"".join(map(tokens.__getitem__, symbols)) for symbols in symbol_lists]
        if any(len(t) > 2 * max_len for t in folded):
            raise AigifError("AIGIF_E_LIMIT", f"{self.coder_name} string exceeds {max_len} bytes")
        out = []
        for t in folded:
            s = case_unfold(t)
            if len(s) > max_len:
                raise AigifError("AIGIF_E_LIMIT", f"{self.coder_name} string exceeds {max_len} bytes")
            out.append(s)
        for t, symbols, pending in zip(folded, symbol_lists, pending_lists):
            if not self._checks_pass(t, symbols, pending):
                raise AigifError("AIGIF_E_NONCANONICAL", f"{self.coder_name} block: tokens are not the greedy longest match")
        return out

    def _check_of(self, prev: int, sym: int):
        """What the greedy test does for the pair (prev, sym): None (nothing), False (never greedy), a tuple of
        the longer phrases that start with the two tokens (compared with the text there), a dict of such tuples
        by the byte that follows the two tokens (too many for one tuple: ", (" starts hundreds), or LONGER (too
        many still: search the sorted phrase list)."""
        rule = self._pair_rule(prev, sym)
        if rule is None:  # tag-context lists up to 8 phrases; a tuple of up to 64 is still one C call
            both, ordered = self.tokens[prev] + self.tokens[sym], self._sorted_phrases
            lo = hi = bisect_right(ordered, both)
            while hi < len(ordered) and ordered[hi].startswith(both) and hi - lo <= GROUP_RULE_MAX:
                hi += 1
            if hi - lo <= LONG_RULE_MAX:
                rule = tuple(ordered[lo:hi])
            elif hi - lo <= GROUP_RULE_MAX:
                groups: dict[bytes, list[bytes]] = {}
                for phrase in ordered[lo:hi]:  # each is longer than both
                    groups.setdefault(phrase[len(both):len(both) + 1], []).append(phrase)
                return {byte: tuple(g) if len(g) <= LONG_RULE_MAX else LONGER for byte, g in groups.items()}
        return None if rule == () else LONGER if rule is None else rule

    def _lookup_rule(self, prev: int, sym: int):
        """_check_of(prev, sym), kept in the bounded cache of pairs decoded in order-0 (key prev * nsym + sym)."""
        rules = self._lookup_rules
        if len(rules) >= PAIR_CACHE_MAX:  # bounded memory whatever the input
            rules.clear()
        check = rules[prev * self.nsym + sym] = self._check_of(prev, sym)
        return check

    def _checks_pass(self, folded: bytes, symbols: list[int], pending: list) -> bool:
        """The greedy test (tag-context step 4) for the pairs the decoding loop noted (in increasing order of i);
        the others pass."""
        if not pending:
            return True
        extends, rules, nsym, last, token_len = self._extends, self._lookup_rules, self.nsym, len(symbols) - 1, self._token_len
        pos = done = 0  # pos: where token ``done`` starts in folded (advanced only as far as a pair needs)
        for i, check in pending:
            if check is LOOKUP:  # decoded in order-0: the pair's rule, found once per pair and kept
                if i < 0 or i >= last or not extends[symbols[i]]:
                    continue
                check = rules.get(symbols[i] * nsym + symbols[i + 1], LOOKUP)
                if check is LOOKUP:
                    check = self._lookup_rule(symbols[i], symbols[i + 1])
                if check is None:
                    continue
            if check is False:
                return False
            if i > done:
                pos += sum(map(token_len.__getitem__, symbols[done:i]))
                done = i
            end = pos + token_len[symbols[i]] + token_len[symbols[i + 1]]
            if type(check) is dict:  # the phrases that start with the pair, by the byte after it
                check = check.get(folded[end:end + 1])
                if check is None:
                    continue
            if check is LONGER:
                if self._longer_match(folded, pos, end - pos):
                    return False
            elif folded.startswith(check, pos):
                return False
        return True


class TagContextModel(PhraseVocabulary):
    """Vocabulary, order-0 tables per field and order-1 context tables; encodes and decodes text blocks."""

    coder_name = "tag-context"
    model_format, model_version = MODEL_FORMAT, MODEL_VERSION

    def __init__(self, phrases: Sequence[bytes], order0: Sequence[Sequence[int]],
                 contexts: Sequence[Sequence[dict]]) -> None:
        super().__init__(phrases)
        nsym = self.nsym
        if len(order0) != FIELDS or len(contexts) != FIELDS:
            raise _model_error(f"order0 and contexts must each have {FIELDS} fields")
        self.order0: list[_Table] = []
        self.contexts: list[dict[int, _Table]] = []
        for field in range(FIELDS):
            freqs = list(order0[field])
            if len(freqs) != nsym or any(type(f) is not int for f in freqs):
                raise _model_error(f"order0[{field}] must hold {nsym} integers")
            if freqs[ESC] != 0 or any(f < 1 for k, f in enumerate(freqs) if k != ESC) or sum(freqs) != TOTAL:
                raise _model_error(f"order0[{field}]: ESC 0, every other symbol >= 1, sum {TOTAL}")
            syms = [k for k in range(nsym) if k != ESC]
            self.order0.append(_Table(syms, [freqs[k] for k in syms]))
            table: dict[int, _Table] = {}
            for ctx in contexts[field]:
                prev, syms, fr = ctx.get("after"), ctx.get("symbols"), ctx.get("freqs")
                if type(prev) is not int or not 0 <= prev < nsym or prev == ESC or prev in table:
                    raise _model_error(f"context 'after' {prev!r} is not a distinct symbol other than ESC")
                if (not isinstance(syms, list) or not isinstance(fr, list) or len(syms) != len(fr)
                        or any(type(x) is not int for x in syms + fr)):
                    raise _model_error("context symbols and freqs must be integer lists of one length")
                if (ESC not in syms or any(not 0 <= s < nsym for s in syms)
                        or any(a >= b for a, b in zip(syms, syms[1:]))):
                    raise _model_error("context symbols must increase, lie in the alphabet and include ESC")
                if any(f < 1 for f in fr) or sum(fr) != TOTAL:
                    raise _model_error(f"context frequencies must be >= 1 and sum to {TOTAL}")
                table[prev] = _Table(list(syms), list(fr))
            self.contexts.append(table)
        self._decoder_start = [self._decoder_tables(field) for field in range(FIELDS)]

    def _decoder_tables(self, field: int) -> tuple:
        """The decoder's tables of one field: (order-0 table, list of context tables indexed by symbol).

        A table is (cum, freq, symbols, symbol set, bucket starts, bucket shift) with the three columns as
        compact arrays: decoding touches a few cache lines per symbol instead of scattered int objects
        (the tables hold ~10^5 entries, so memory traffic is much of a symbol's cost).
        """
        def table(t: _Table, members: frozenset) -> tuple:
            # a big table's slots in buckets: bucket b (slot >> shift == b) lies in symbols first[b]..first[b + 1],
            # so the search starts from a few candidates; a small table is searched whole (first is None)
            if len(t.cum) < BUCKET_MIN_SYMBOLS:
                first, shift = None, 0
            else:
                shift = TOTAL_BITS - BUCKET_BITS
                first = [bisect_right(t.cum, b << shift) - 1 for b in range(1 << BUCKET_BITS)] + [len(t.cum) - 1]
            return array("q", t.cum), array("q", t.freq), array("q", t.symbols), members, first, shift

        by_symbol: list = [None] * self.nsym
        for prev, t in self.contexts[field].items():
            by_symbol[prev] = table(t, frozenset(t.symbols))
        return table(self.order0[field], frozenset()), by_symbol

    # ------------------------------------------------------------------ loading
    @classmethod
    def _check_model(cls, doc: dict) -> None:
        if doc.get("total_bits") != TOTAL_BITS:
            raise _model_error(f"total_bits must be {TOTAL_BITS}")

    # ----------------------------------------------------------------- encoding
    def encode_steps(self, steps: Sequence[tuple[int, int, int]]) -> bytes:
        """Range-code (field, table key or -1, symbol) steps; the final bytes as the spec fixes them.

        encode() passes the steps its rules choose; tests and vectors pass others to make
        non-canonical blocks.
        """
        low, rng, nbytes = 0, RANGE_TOP, RANGE_BYTES
        for field, key, sym in steps:
            table = self.order0[field] if key < 0 else self.contexts[field][key]
            i = table.index[sym]
            r = rng >> TOTAL_BITS
            low += r * table.cum[i]
            rng = r * table.freq[i]
            while rng < RANGE_BOTTOM:
                low <<= 8
                rng <<= 8
                nbytes += 1
        return final_bytes(low, rng, nbytes)

    # ----------------------------------------------------------------- decoding
    def decode(self, block: bytes, n_strings: int, max_len: int) -> list[bytes]:
        """The strings of ``block``; AigifError LIMIT / NONCANONICAL otherwise (spec order).

        The spec's decoding loop with its tables flattened into lists (this runs once per symbol).
        """
        if n_strings not in (1, 2):
            raise ValueError("tag-context codes one or two strings")
        tokens, token_len = self.tokens, self._token_len
        data = bytes(block) + bytes(RANGE_BYTES)
        code = int.from_bytes(data[:RANGE_BYTES], "big")
        pos = RANGE_BYTES
        rng = RANGE_TOP
        bottom, window_bits, total_bits, total = RANGE_BOTTOM, 8 * RANGE_BYTES, TOTAL_BITS, TOTAL
        limit = 2 * max_len  # a case-folded string is at most twice as long as the string
        symbol_lists: list[list[int]] = []
        for field in range(n_strings):
            order0, by_symbol = self._decoder_start[field]
            o0_cum, o0_freq, o0_syms, _, o0_first, o0_shift = order0
            table = by_symbol[END] or order0
            syms_out: list[int] = []
            append = syms_out.append
            size = 0
            while True:
                r = rng >> total_bits
                slot = code // r
                if slot >= total:
                    raise _noncanonical("the code value lies outside every symbol's interval")
                cum, freq, syms, members, first, shift = table
                if first is None:
                    i = bisect_right(cum, slot) - 1
                else:
                    b = slot >> shift
                    i = bisect_right(cum, slot, first[b], first[b + 1] + 1) - 1
                sym = syms[i]
                code -= r * cum[i]
                rng = r * freq[i]
                if rng < bottom:
                    k = (window_bits - rng.bit_length()) >> 3
                    code = (code << (8 * k)) | int.from_bytes(data[pos:pos + k], "big")
                    rng <<= 8 * k
                    pos += k
                    if pos + RANGE_BYTES > len(data):  # reading past the block: zeros
                        data += bytes(RANGE_BYTES)
                if sym == ESC:  # the symbol follows in the order-0 table and must not be one of the context's
                    r = rng >> total_bits
                    slot = code // r
                    if slot >= total:
                        raise _noncanonical("the code value lies outside every symbol's interval")
                    b = slot >> o0_shift
                    i = bisect_right(o0_cum, slot, o0_first[b], o0_first[b + 1] + 1) - 1
                    sym = o0_syms[i]
                    if sym in members:
                        raise _noncanonical("a symbol of the context is coded after an escape")
                    code -= r * o0_cum[i]
                    rng = r * o0_freq[i]
                    if rng < bottom:
                        k = (window_bits - rng.bit_length()) >> 3
                        code = (code << (8 * k)) | int.from_bytes(data[pos:pos + k], "big")
                        rng <<= 8 * k
                        pos += k
                        if pos + RANGE_BYTES > len(data):
                            data += bytes(RANGE_BYTES)
                if sym == END:
                    break
                size += token_len[sym]
                if size > limit:
                    raise AigifError("AIGIF_E_LIMIT", f"tag-context string exceeds {max_len} bytes")
                append(sym)
                table = by_symbol[sym] or order0
            symbol_lists.append(syms_out)
        # The block must be the canonical final bytes of the interval reached: pos bytes are in the window.
        if len(block) > pos:
            raise _noncanonical("bytes after the end of the coded interval")
        low = (int.from_bytes(block, "big") << (8 * (pos - len(block)))) - code
        if final_bytes(low, rng, pos) != block:
            raise _noncanonical("the final bytes are not the shortest, smallest value in the interval")
        folded = [b"".join([tokens[s] for s in syms_out]) for syms_out in symbol_lists]
        out = []
        for t in folded:
            s = case_unfold(t)
            if len(s) > max_len:
                raise AigifError("AIGIF_E_LIMIT", f"tag-context string exceeds {max_len} bytes")
            out.append(s)
        for t, syms_out in zip(folded, symbol_lists):
            if not self._is_greedy(t, syms_out):
                raise _noncanonical("tokens are not the greedy longest match")
        return out


def final_bytes(low: int, rng: int, nbytes: int) -> bytes:
    """The shortest byte string B, then the smallest, whose value B * 256**(nbytes - len(B)) lies in [low, low + rng).

    A multiple of 2**s lies in [low, low + rng) exactly when s is at most the highest bit in which
    low - 1 and low + rng - 1 differ; B is the smallest such multiple for the largest s = 8 * (nbytes - k).
    """
    if low == 0:
        return b""
    s = min(((((low - 1) ^ (low + rng - 1)).bit_length() - 1) >> 3) << 3, 8 * nbytes)
    k = nbytes - (s >> 3)
    return (-((-low) >> s)).to_bytes(k, "big")


@lru_cache(maxsize=4)
def default_model(path: str | Path | None = None) -> TagContextModel:
    """The tag-context v1 model, from ``path`` or spec/text/tag-context-v1.json."""
    return TagContextModel.load(DEFAULT_MODEL_PATH if path is None else path)
