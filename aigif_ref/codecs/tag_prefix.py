"""tag-prefix v1: tag-context's symbols and order-1 contexts, coded with canonical prefix codes (a text compressor).

Normative description: spec/text/tag-prefix.md. The alphabet, case fold, greedy tokenization, the
context rule (order-1 table after the previous symbol, ESC to the field's order-0 table) and the
escape rule are tag-context-v1's (spec/text/tag-context.md). What differs is the entropy coder: each
table gives every entry a code length (1..MAX_CODE_BITS, a complete code: the Kraft sum is exactly
1), the codes are assigned canonically as in DEFLATE (RFC 1951 section 3.2.2: by length, then
symbol), written most significant bit first, and the block is the concatenated codes padded with
zero bits to a whole byte. No arithmetic but shifts: the decoder reads 8 bits and indexes a list of
256 entries (read on for a longer code), so a symbol costs a handful of interpreter steps (a range
coder needs a division, a multiplication and a renormalization test per symbol), and the lists are
small, which keeps them in the CPU's caches.

Pure standard library, integers only.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Sequence

from aigif_ref.codecs.tag_context import END, ESC, FIELDS, LOOKUP, PhraseVocabulary
from aigif_ref.codecs.model_file import model_error
from aigif_ref.errors import AigifError

MODEL_FORMAT = "aigif-tag-prefix"
MODEL_VERSION = 1
MAX_CODE_BITS = 24  # the longest code of any table
# The decoder reads FIRST_BITS bits and indexes the table's list; a longer code reads up to SUB_BITS more and indexes
# a list of the codes that share those first bits (and so on). A context's list stays small (2 KB) and cache-friendly.
FIRST_BITS, SUB_BITS = 8, 10

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "spec" / "text" / "tag-prefix-v1.json"


def _model_error(message: str) -> AigifError:
    return model_error("tag-prefix", message)


def _noncanonical(message: str) -> AigifError:
    return AigifError("AIGIF_E_NONCANONICAL", f"tag-prefix block: {message}")


class PrefixCode:
    """One table's canonical prefix code: entries (symbol, length) sorted by (length, symbol) get
    consecutive code values, shifted left by the difference in length each time the length grows (RFC 1951 3.2.2)."""

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
                prev, syms, lens = self._context_of(ctx, table, "lengths")
                table[prev] = PrefixCode(syms, lens, f"context after {prev}")
            self.contexts.append(table)
        self._builders: dict[int, object] = {}  # id of an unbuilt context list -> the function that fills it
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
    def _decoder_tables(self, field: int) -> tuple[list, list]:
        """The decoder's tables of one field: (table at the start, the order-0 table).

        A table is a list of 2**FIRST_BITS entries indexed by the next FIRST_BITS bits: the entry
        (symbol, length, next table, check) of the code that is a prefix of them; next is None for END and ESC;
        check is the greedy test's note for the pair (previous token, this token) (None: nothing to test; see
        PhraseVocabulary._check_of), and for ESC the set of the context's symbols (the escape rule). Codes
        longer than the bits read so far share a descent entry (bits to read from the code's start minus
        FIRST_BITS, 0, the list for the following bits, its mask): length 0, which the decoding loop tests (a
        small int: no symbol object is read on the common path). A context's list stays empty until its first
        use, when the decoder's IndexError builds it (building every context's list would cost seconds at
        load, and most are never used).
        """
        nsym = self.nsym
        order0 = self.order0[field]
        ctxs = self.contexts[field]
        first = FIRST_BITS
        by_symbol: list = [[] for _ in range(nsym)]
        order0_t = by_symbol[END] if END not in ctxs else []  # placeholders, filled in place
        for sym in range(nsym):
            if sym not in ctxs:
                by_symbol[sym] = order0_t
        extends = self._extends

        def entry(sym: int, n: int, prev: int | None) -> tuple:
            if sym in (END, ESC) or prev == END:
                check = None
            elif prev is None:
                check = LOOKUP
            else:
                check = self._check_of(prev, sym) if extends[prev] else None
            return (sym, n, None if sym in (END, ESC) else by_symbol[sym], check)

        def level(codes: list, done: int, width: int) -> list:
            """The list for the ``width`` bits after the first ``done`` of ``codes`` ((value, length, entry), all
            sharing their first ``done`` bits and longer than that)."""
            out: list = [None] * (1 << width)
            deeper: dict[int, list] = {}
            top, mask = done + width, (1 << width) - 1
            for value, n, e in codes:
                if n <= top:
                    lo = (value << (top - n)) & mask
                    out[lo:lo + (1 << (top - n))] = [e] * (1 << (top - n))
                else:
                    deeper.setdefault((value >> (n - top)) & mask, []).append((value, n, e))
            for index, sub in deeper.items():
                w = min(max(n for _, n, _ in sub) - top, SUB_BITS)
                out[index] = (top + w - first, 0, level(sub, top, w), (1 << w) - 1)
            return out

        def fill(dest: list, code: PrefixCode, prev: int | None) -> None:
            held = frozenset(code.symbols)  # an ESC entry carries its context's symbols: the escape rule's set
            codes = [(code.code_of[sym][0], n, (ESC, n, None, held) if sym == ESC else entry(sym, n, prev))
                     for n, sym in code.order]
            dest[:] = level(codes, 0, first)

        fill(order0_t, order0, None)
        for prev, code in ctxs.items():  # a context's list is built when it is first used (empty until then)
            t = by_symbol[prev]
            self._builders[id(t)] = (lambda t=t, code=code, prev=prev: fill(t, code, prev))
        return by_symbol[END], order0_t

    def decode(self, block: bytes, n_strings: int, max_len: int) -> list[bytes]:
        """The strings of ``block``; AigifError LIMIT / NONCANONICAL otherwise (spec order).

        One list look-up per symbol (more for a code longer than FIRST_BITS, and after ESC); no arithmetic but
        shifts; the loop is bounded by the symbol count and by the block's bits.
        """
        if n_strings not in (1, 2):
            raise ValueError("tag-prefix codes one or two strings")
        # The bits as one integer followed by MAX_CODE_BITS zero bits; q + FIRST_BITS is the number of bits left,
        # padding included. A read beyond them means a code runs past the block: Python's negative shift raises
        # ValueError, caught below (no test in the loop).
        bits = int.from_bytes(block, "big") << MAX_CODE_BITS
        q = 8 * len(block) + MAX_CODE_BITS - FIRST_BITS  # the bits left after the next FIRST_BITS
        # Below this q the codes read so far end beyond the block. The loop reads on into the padding without a
        # test; an error it finds there is reported as what came first: the code that ran past the end.
        past_end = MAX_CODE_BITS - FIRST_BITS
        first_mask = (1 << FIRST_BITS) - 1
        max_symbols = 2 * max_len  # every symbol but END adds >= 1 byte to a folded string of <= 2 * max_len
        symbol_lists: list[list[int]] = []
        pending_lists: list[list] = []
        extends, builders, rules, nsym = self._extends, self._builders, self._lookup_rules, self.nsym
        try:
            for field in range(n_strings):
                table, order0 = self._start[field]
                syms_out: list[int] = []
                pending: list = []  # (i, check): the pair (token i, token i + 1) needs the greedy test
                append, note = syms_out.append, pending.append
                for n in range(max_symbols + 1):
                    try:
                        sym, length, table, check = table[(bits >> q) & first_mask]
                    except IndexError:  # a context's list, empty until its first use: build it (once)
                        builders.pop(id(table))()
                        sym, length, table, check = table[(bits >> q) & first_mask]
                    while not length:  # a code longer than the bits read so far: read on
                        sym, length, table, check = table[(bits >> (q - sym)) & check]
                    q -= length
                    if table is None:
                        if sym == END:
                            break
                        # ESC: the symbol follows in the order-0 table and must not be one of the context's (the set
                        # the ESC entry carries)
                        held = check
                        sym, length, table, check = order0[(bits >> q) & first_mask]
                        while not length:
                            sym, length, table, check = table[(bits >> (q - sym)) & check]
                        q -= length
                        if sym in held:
                            raise _noncanonical("a code runs past the end of the block" if q < past_end
                                                else "a symbol of the context is coded after an escape")
                        if sym == END:
                            break
                    if check is not None:
                        if check is LOOKUP:  # decoded in order-0: the pair's rule, if the previous token can extend
                            prev = syms_out[-1] if n else END
                            if extends[prev]:
                                check = rules.get(prev * nsym + sym, LOOKUP)
                                if check is LOOKUP:
                                    check = self._lookup_rule(prev, sym)
                                if check is not None:
                                    note((n - 1, check))
                        else:
                            note((n - 1, check))
                    append(sym)
                else:
                    if q < past_end:
                        raise _noncanonical("a code runs past the end of the block")
                    raise AigifError("AIGIF_E_LIMIT", f"tag-prefix string exceeds {max_len} bytes")
                symbol_lists.append(syms_out)
                pending_lists.append(pending)
        except ValueError:
            raise _noncanonical("a code runs past the end of the block") from None
        # left bits of the block are unread: the zero padding to a whole byte, nothing more.
        left = q + FIRST_BITS - MAX_CODE_BITS
        if left < 0:
            raise _noncanonical("a code runs past the end of the block")
        if left >= 8:
            raise _noncanonical("bytes after the last code")
        if (bits >> MAX_CODE_BITS) & ((1 << left) - 1):
            raise _noncanonical("the padding bits after the last code are not zero")
        return self._strings(symbol_lists, pending_lists, max_len)


@lru_cache(maxsize=4)
def default_model(path: str | Path | None = None) -> TagPrefixModel:
    """The tag-prefix v1 model, from ``path`` or spec/text/tag-prefix-v1.json."""
    return TagPrefixModel.load(DEFAULT_MODEL_PATH if path is None else path)
