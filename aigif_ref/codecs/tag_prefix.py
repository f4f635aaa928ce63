"""tag-prefix v1: tag-context's symbols and order-1 contexts, coded with canonical prefix codes (a text compressor).

Normative description: spec/text/tag-prefix.md. The alphabet, case fold, greedy tokenization, the
context rule (order-1 table after the previous symbol, ESC to the field's order-0 table) and the
escape rule are tag-context-v1's (spec/text/tag-context.md). What differs is the entropy coder: each
table gives every entry a code length (1..MAX_CODE_BITS, a complete code: the Kraft sum is exactly
1), the codes are assigned canonically as in DEFLATE (RFC 1951 section 3.2.2: by length, then
symbol), written most significant bit first, and the block is the concatenated codes padded with
zero bits to a whole byte. No arithmetic at all: the decoder reads a few bits and indexes a table,
so a symbol costs a handful of interpreter steps (a range coder needs a division, a multiplication
and a renormalization test per symbol), and the tables are small (the order-0 table is the one with
thousands of entries), which keeps them in the CPU's caches.

Pure standard library, integers only.
"""
from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from aigif_ref.codecs.tag_context import END, ESC, FIELDS, LOOKUP, PhraseVocabulary, case_unfold
from aigif_ref.codecs.model_file import model_error
from aigif_ref.errors import AigifError

MODEL_FORMAT = "aigif-tag-prefix"
MODEL_VERSION = 1
MAX_CODE_BITS = 24  # the longest code of any table
# The decoder's first look-up reads up to this many bits (a longer code takes a second look-up): a context's list
# stays small; the order-0 table (one per field, thousands of symbols, used after every escape) gets more.
DIRECT_BITS, ORDER0_DIRECT_BITS = 10, 14

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "spec" / "text" / "tag-prefix-v1.json"


def _model_error(message: str) -> AigifError:
    return model_error("tag-prefix", message)


def _noncanonical(message: str) -> AigifError:
    return AigifError("AIGIF_E_NONCANONICAL", f"tag-prefix block: {message}")


class PrefixCode:
    """One table's canonical prefix code: entries (symbol, length) sorted by (length, symbol) get
    consecutive code values, shifted left by one bit each time the length grows (RFC 1951 3.2.2)."""

    __slots__ = ("symbols", "lengths", "order", "code_of", "index")

    def __init__(self, symbols: list[int], lengths: list[int], where: str) -> None:
        if len(symbols) < 2:
            raise _model_error(f"{where}: a table needs at least two entries")
        if any(type(n) is not int or not 1 <= n <= MAX_CODE_BITS for n in lengths):
            raise _model_error(f"{where}: code lengths must be integers 1..{MAX_CODE_BITS}")
        if sum(1 << (MAX_CODE_BITS - n) for n in lengths) != 1 << MAX_CODE_BITS:
            raise _model_error(f"{where}: the code lengths do not make a complete prefix code (Kraft sum != 1)")
        self.symbols, self.lengths = symbols, lengths
        self.order = sorted(zip(lengths, symbols))  # canonical order: (length, symbol)
        self.code_of: dict[int, tuple[int, int]] = {}
        code, prev = 0, self.order[0][0]
        for n, sym in self.order:
            code <<= n - prev
            self.code_of[sym] = (code, n)
            code, prev = code + 1, n
        self.index = self.code_of  # membership test for the escape rule (any symbol-keyed mapping)


class _LazyDirect:
    """A context's look-up list before its first use: the first look-up builds it, puts it in the table in its
    place and answers from it (building every context's list would cost seconds at load; most are never used)."""

    __slots__ = ("_build",)

    def __init__(self, build, table: list, code: PrefixCode, prev: int) -> None:
        self._build = (build, table, code, prev)

    def __getitem__(self, value: int):
        return self._build[0](*self._build[1:])[value]


class TagPrefixModel(PhraseVocabulary):
    """Vocabulary, order-0 and order-1 prefix codes per field; codes text blocks."""

    coder_name = "tag-prefix"
    model_format, model_version = MODEL_FORMAT, MODEL_VERSION

    def __init__(self, phrases: Sequence[bytes], order0: Sequence[dict], contexts: Sequence[Sequence[dict]]) -> None:
        super().__init__(phrases)
        nsym = self.nsym
        if len(order0) != FIELDS or len(contexts) != FIELDS:
            raise _model_error(f"order0 and contexts must each have {FIELDS} fields")
        self.order0: list[PrefixCode] = []
        self.contexts: list[dict[int, PrefixCode]] = []
        for field in range(FIELDS):
            o0 = order0[field]
            lengths = o0.get("lengths") if isinstance(o0, dict) else None
            if not isinstance(lengths, list) or len(lengths) != nsym or any(type(n) is not int for n in lengths):
                raise _model_error(f"order0[{field}] lengths must hold {nsym} integers")
            if lengths[ESC] != 0:
                raise _model_error(f"order0[{field}]: ESC has no code (length 0)")
            syms = [k for k in range(nsym) if k != ESC]
            self.order0.append(PrefixCode(syms, [lengths[k] for k in syms], f"order0[{field}]"))
            table: dict[int, PrefixCode] = {}
            for ctx in contexts[field]:
                if not isinstance(ctx, dict):
                    raise _model_error("a context must be an object")
                prev, syms, lens = ctx.get("after"), ctx.get("symbols"), ctx.get("lengths")
                if type(prev) is not int or not 0 <= prev < nsym or prev == ESC or prev in table:
                    raise _model_error(f"context 'after' {prev!r} is not a distinct symbol other than ESC")
                if (not isinstance(syms, list) or not isinstance(lens, list) or len(syms) != len(lens)
                        or any(type(x) is not int for x in syms + lens)):
                    raise _model_error("context symbols and lengths must be integer lists of one length")
                if (ESC not in syms or any(not 0 <= s < nsym for s in syms)
                        or any(a >= b for a, b in zip(syms, syms[1:]))):
                    raise _model_error("context symbols must increase, lie in the alphabet and include ESC")
                table[prev] = PrefixCode(list(syms), list(lens), f"context after {prev}")
            self.contexts.append(table)
        self._start = [self._decoder_tables(field) for field in range(FIELDS)]

    @classmethod
    def _check_model(cls, doc: dict) -> None:
        if not all(isinstance(f.get("contexts"), list) for f in doc["fields"]):
            raise _model_error("each field's contexts must be a list")

    # ----------------------------------------------------------------- encoding
    def encode_steps(self, steps: Sequence[tuple[int, int, int]]) -> bytes:
        """The codes of (field, table key or -1, symbol) steps, most significant bit first, zero padded.

        encode() passes the steps its rules choose; tests and vectors pass others to make
        non-canonical blocks.
        """
        value, nbits = 0, 0
        for field, key, sym in steps:
            table = self.order0[field] if key < 0 else self.contexts[field][key]
            code, n = table.code_of[sym]
            value, nbits = (value << n) | code, nbits + n
        pad = -nbits % 8
        return (value << pad).to_bytes((nbits + pad) // 8, "big")

    # ----------------------------------------------------------------- decoding
    def _decoder_tables(self, field: int) -> tuple[list, list, list]:
        """The decoder's tables of one field: (table at the start, order-0 table, context members by symbol).

        A table is the list [k, 2**k - 1, direct]: direct[v] for the next k bits v (k = the table's longest
        code, at most DIRECT_BITS) is the entry (symbol, length, next table, check) of the code that is a prefix
        of v; next is None for END and ESC; check is the greedy test's note for the pair (previous token, this
        token), as in tag-lookup (None: nothing to test). Codes longer than k share the entry
        (-1, 0, (ends, rows, entries), None): the decoder then reads MAX_CODE_BITS bits w, finds the length
        group by bisecting ``ends`` (the exclusive upper bounds of each group's values, left-aligned) and the
        entry from the group's row (shift, first value, first index).
        """
        nsym = self.nsym
        order0 = self.order0[field]
        ctxs = self.contexts[field]

        def new_table(code: PrefixCode, direct_bits: int = DIRECT_BITS) -> list:
            k = min(code.order[-1][0], direct_bits)
            return [k, (1 << k) - 1, None]

        order0_t = new_table(order0, ORDER0_DIRECT_BITS)
        by_symbol: list = [order0_t] * nsym
        for prev, code in ctxs.items():
            by_symbol[prev] = new_table(code)
        extends = self._extends

        def entry(sym: int, n: int, prev: int | None) -> tuple:
            if sym in (END, ESC) or prev == END:
                check = None
            elif prev is None:
                check = LOOKUP
            else:
                check = self._check_of(prev, sym) if extends[prev] else None
            return (sym, n, None if sym in (END, ESC) else by_symbol[sym], check)

        def fill(dest: list, code: PrefixCode, prev: int | None) -> list:
            k = dest[0]
            direct: list = []
            ends, rows, entries = [], [], []
            value, last = 0, 0  # left-aligned to MAX_CODE_BITS
            for i, (n, sym) in enumerate(code.order):
                e = entry(sym, n, prev)
                entries.append(e)
                if n != last:
                    if rows:
                        ends.append(value)
                    rows.append((MAX_CODE_BITS - n, value, i))
                    last = n
                if n <= k:
                    direct += [e] * (1 << (k - n))
                value += 1 << (MAX_CODE_BITS - n)
            ends.append(value)
            if len(direct) < 1 << k:
                direct += [(-1, 0, (ends, rows, entries), None)] * ((1 << k) - len(direct))
            dest[2] = direct
            return direct

        fill(order0_t, order0, None)
        for prev, code in ctxs.items():  # a context's look-up list is built when it is first used
            by_symbol[prev][2] = _LazyDirect(fill, by_symbol[prev], code, prev)
        members = [frozenset(c.symbols) if (c := ctxs.get(p)) is not None else None for p in range(nsym)]
        return by_symbol[END], order0_t, members

    def decode(self, block: bytes, n_strings: int, max_len: int) -> list[bytes]:
        """The strings of ``block``; AigifError LIMIT / NONCANONICAL otherwise (spec order).

        One look-up per symbol (two for a code longer than the table's first look-up, two after ESC); the loop
        is bounded by the symbol count and by the block's bits.
        """
        if n_strings not in (1, 2):
            raise ValueError("tag-prefix codes one or two strings")
        # The bits as one integer followed by MAX_CODE_BITS zero bits; p counts the bits left, padding included.
        # A read with p below the read's width means a code runs past the block: Python's negative shift raises
        # ValueError, caught below (no test in the loop).
        bits = int.from_bytes(block, "big") << MAX_CODE_BITS
        p = 8 * len(block) + MAX_CODE_BITS
        wide, wide_mask = MAX_CODE_BITS, (1 << MAX_CODE_BITS) - 1
        max_symbols = 2 * max_len  # every symbol but END adds >= 1 byte to a folded string of <= 2 * max_len
        symbol_lists: list[list[int]] = []
        pending_lists: list[list] = []
        extends = self._extends
        try:
            for field in range(n_strings):
                table, order0, members = self._start[field]
                syms_out: list[int] = []
                pending: list = []  # (i, check): the pair (token i, token i + 1) needs the greedy test
                append, note = syms_out.append, pending.append
                for n in range(max_symbols + 1):
                    k, mask, direct = table
                    sym, length, table, check = direct[(bits >> (p - k)) & mask]
                    if not length:  # a code longer than k bits (testing the small int length reads no symbol object)
                        ends, rows, entries = table
                        w = (bits >> (p - wide)) & wide_mask
                        shift, first, index = rows[bisect_right(ends, w)]
                        sym, length, table, check = entries[index + ((w - first) >> shift)]
                    p -= length
                    if table is None:
                        if sym == END:
                            break
                        # ESC: the symbol follows in the order-0 table and must not be one of the context's
                        k, mask, direct = order0
                        sym, length, table, check = direct[(bits >> (p - k)) & mask]
                        if not length:
                            ends, rows, entries = table
                            w = (bits >> (p - wide)) & wide_mask
                            shift, first, index = rows[bisect_right(ends, w)]
                            sym, length, table, check = entries[index + ((w - first) >> shift)]
                        p -= length
                        if sym in members[syms_out[-1] if n else END]:
                            raise _noncanonical("a symbol of the context is coded after an escape")
                        if sym == END:
                            break
                    # a pair decoded in order-0 needs its rule looked up only if the previous token starts a longer phrase
                    if check is not None and (check is not LOOKUP or extends[syms_out[-1] if n else END]):
                        note((n - 1, check))
                    append(sym)
                else:
                    raise AigifError("AIGIF_E_LIMIT", f"tag-prefix string exceeds {max_len} bytes")
                symbol_lists.append(syms_out)
                pending_lists.append(pending)
        except ValueError:
            raise _noncanonical("a code runs past the end of the block") from None
        # p - MAX_CODE_BITS bits of the block are left: the zero padding to a whole byte, nothing more.
        left = p - MAX_CODE_BITS
        if left < 0:
            raise _noncanonical("a code runs past the end of the block")
        if left >= 8:
            raise _noncanonical("bytes after the last code")
        if (bits >> MAX_CODE_BITS) & ((1 << left) - 1):
            raise _noncanonical("the padding bits after the last code are not zero")
        tokens = self.tokens
        folded = [b"".join(map(tokens.__getitem__, syms_out)) for syms_out in symbol_lists]
        for t in folded:
            if len(t) > 2 * max_len:
                raise AigifError("AIGIF_E_LIMIT", f"tag-prefix string exceeds {max_len} bytes")
        out = []
        for t in folded:
            s = case_unfold(t)
            if len(s) > max_len:
                raise AigifError("AIGIF_E_LIMIT", f"tag-prefix string exceeds {max_len} bytes")
            out.append(s)
        for t, syms_out, pending in zip(folded, symbol_lists, pending_lists):
            if not self._checks_pass(t, syms_out, pending):
                raise _noncanonical("tokens are not the greedy longest match")
        return out


@lru_cache(maxsize=4)
def default_model(path: str | Path | None = None) -> TagPrefixModel:
    """The tag-prefix v1 model, from ``path`` or spec/text/tag-prefix-v1.json."""
    return TagPrefixModel.load(DEFAULT_MODEL_PATH if path is None else path)
