"""tag-lookup v1: tag-context's symbols and order-1 contexts, decoded by table lookup (a text compressor).

Normative description: spec/text/tag-lookup.md. The alphabet, case fold, greedy tokenization, the
context rule (order-1 table after the previous symbol, ESC to the field's order-0 table) and the
final-bytes rule are tag-context-v1's (spec/text/tag-context.md). What differs is the frequency
tables: each table sums to its own power of two 2**bits (bits 1..20, chosen per table by the model),
so the decoder finds a symbol with one division and one index into a list of 2**bits slots instead of
a search in a cumulative-frequency array. Each slot holds (symbol, cumulative frequency, frequency,
next table), so one decoded symbol costs a few integer operations and two list look-ups.

Pure standard library, integers only.
"""
from __future__ import annotations

import sys
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from aigif_ref.codecs.tag_context import (
    END, ESC, FIELDS, LOOKUP, PhraseVocabulary, final_bytes,
)
from aigif_ref.errors import AigifError

MODEL_FORMAT = "aigif-tag-lookup"
MODEL_VERSION = 1
MAX_TABLE_BITS = 20  # a table sums to 2**bits, 1 <= bits <= 20
WINDOW_BYTES = 8  # the coder's window: range is kept in [2**32, 2**64]
STEP_BYTES = 4  # renormalization shifts 4 bytes at once: one shift per ~32 bits of information
RANGE_TOP = 1 << (8 * WINDOW_BYTES)
RANGE_BOTTOM = 1 << (8 * (WINDOW_BYTES - STEP_BYTES))
# code // r may exceed 2**bits - 1 by at most (2**bits - 1) // 2**(32 - bits) (r >= 2**32 >> bits): sentinels

_WORD = next(t for t in "IL" if array(t).itemsize == 4)  # the array typecode of a 32-bit unsigned word

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "spec" / "text" / "tag-lookup-v1.json"


def _model_error(message: str) -> AigifError:
    return AigifError("AIGIF_E_REGISTRY", f"tag-lookup model: {message}")


def _noncanonical(message: str) -> AigifError:
    return AigifError("AIGIF_E_NONCANONICAL", f"tag-lookup block: {message}")


class _Table:
    """One frequency table: symbols in increasing order, frequencies >= 1 summing to 2**bits."""

    __slots__ = ("bits", "symbols", "freq", "cum", "index")

    def __init__(self, bits: int, symbols: list[int], freqs: list[int]) -> None:
        self.bits, self.symbols, self.freq = bits, symbols, freqs
        cum, c = [], 0
        for f in freqs:
            cum.append(c)
            c += f
        self.cum = cum
        self.index = {s: i for i, s in enumerate(symbols)}




class _LazySlots:
    """A context's slot list before its first use: the first look-up builds the list, puts it in the table
    in its place and answers from it (building every context's list and pair rules would cost seconds at load)."""

    __slots__ = ("_build",)

    def __init__(self, fill, dest: list, t: "_Table", prev: int) -> None:
        self._build = (fill, dest, t, prev)

    def __getitem__(self, slot: int):
        return self._build[0](*self._build[1:])[slot]


def _check_bits(bits: object, where: str) -> int:
    if type(bits) is not int or not 1 <= bits <= MAX_TABLE_BITS:
        raise _model_error(f"{where}: bits must be an integer 1..{MAX_TABLE_BITS}")
    return bits


class TagLookupModel(PhraseVocabulary):
    """Vocabulary, order-0 and order-1 tables per field (each with its own 2**bits total); codes text blocks."""

    coder_name = "tag-lookup"
    model_format, model_version = MODEL_FORMAT, MODEL_VERSION

    def __init__(self, phrases: Sequence[bytes], order0: Sequence[dict], contexts: Sequence[Sequence[dict]]) -> None:
        super().__init__(phrases)
        nsym = self.nsym
        if len(order0) != FIELDS or len(contexts) != FIELDS:
            raise _model_error(f"order0 and contexts must each have {FIELDS} fields")
        self.order0: list[_Table] = []
        self.contexts: list[dict[int, _Table]] = []
        for field in range(FIELDS):
            o0 = order0[field]
            if not isinstance(o0, dict):
                raise _model_error(f"order0[{field}] must be an object")
            bits = _check_bits(o0.get("bits"), f"order0[{field}]")
            freqs = o0.get("freqs")
            if not isinstance(freqs, list) or len(freqs) != nsym or any(type(f) is not int for f in freqs):
                raise _model_error(f"order0[{field}] freqs must hold {nsym} integers")
            if freqs[ESC] != 0 or any(f < 1 for k, f in enumerate(freqs) if k != ESC) or sum(freqs) != 1 << bits:
                raise _model_error(f"order0[{field}]: ESC 0, every other symbol >= 1, sum 2**bits")
            syms = [k for k in range(nsym) if k != ESC]
            self.order0.append(_Table(bits, syms, [freqs[k] for k in syms]))
            table: dict[int, _Table] = {}
            for ctx in contexts[field]:
                prev, syms, fr = self._context_of(ctx, table, "freqs")
                bits = _check_bits(ctx.get("bits"), f"context after {prev}")
                if any(f < 1 for f in fr) or sum(fr) != 1 << bits:
                    raise _model_error("context frequencies must be >= 1 and sum to 2**bits")
                table[prev] = _Table(bits, syms, fr)
            self.contexts.append(table)
        self._start = [self._slot_tables(field) for field in range(FIELDS)]

    def _slot_tables(self, field: int) -> tuple[list, list, list]:
        """The decoder's tables of one field: (table at the start, order-0 table, context members by symbol).

        A table is the list [bits, slots]: slots[v] for v < 2**bits is the entry of the symbol whose interval
        holds v, (symbol, cum, freq, next table, check); next is None for END and ESC. Sentinel entries
        (-1, 0, 0, None, None) follow: code // r can exceed 2**bits - 1 by (2**bits - 1) // 2**(32 - bits)
        at most (r >= 2**32 >> bits). check is what the greedy test (tag-context step 4) must do for the
        pair (previous token, this token): None, nothing (no longer phrase starts with the previous token
        or with the two: most pairs); in a context the pair is known, so its rule is stored (a tuple of
        phrases to compare with the text after the pair, False, or LONGER: search the phrase list); in
        order-0 the previous token is not known (LOOKUP: the decoder finds the pair's rule).
        """
        nsym = self.nsym
        o0 = self.order0[field]
        ctxs = self.contexts[field]
        order0_t: list = [o0.bits, None]
        by_symbol: list = [order0_t] * nsym
        for prev, t in ctxs.items():
            by_symbol[prev] = [t.bits, None]
        sentinel = (-1, 0, 0, None, None)
        extends = self._extends

        def fill(dest: list, t: _Table, prev: int | None) -> list:
            slots: list = []
            for sym, c, f in zip(t.symbols, t.cum, t.freq):
                nxt = None if sym in (END, ESC) else by_symbol[sym]
                if sym in (END, ESC) or prev == END:
                    check = None
                elif prev is None:
                    check = LOOKUP
                elif not extends[prev]:
                    check = None
                else:
                    check = self._check_of(prev, sym)
                slots += [(sym, c, f, nxt, check)] * f
            slots += [sentinel] * (1 + ((1 << t.bits) - 1) // (RANGE_BOTTOM >> t.bits))
            dest[1] = slots
            return slots

        fill(order0_t, o0, None)
        for prev, t in ctxs.items():  # a context's slots are built when it is first used (most never are)
            by_symbol[prev][1] = _LazySlots(fill, by_symbol[prev], t, prev)
        members = [frozenset(t.symbols) if (t := ctxs.get(p)) is not None else None for p in range(nsym)]
        return by_symbol[END], order0_t, members

    # ------------------------------------------------------------------ loading
    @classmethod
    def _check_model(cls, doc: dict) -> None:
        if not all(isinstance(f.get("contexts"), list) for f in doc["fields"]):
            raise _model_error("each field's contexts must be a list")

    # ----------------------------------------------------------------- encoding
    def encode_steps(self, steps: Sequence[tuple[int, int, int]]) -> bytes:
        """Range-code (field, table key or -1, symbol) steps; the final bytes as tag-context fixes them.

        encode() passes the steps its rules choose; tests and vectors pass others to make
        non-canonical blocks.
        """
        low, rng, nbytes = 0, RANGE_TOP, WINDOW_BYTES
        for field, key, sym in steps:
            table = self.order0[field] if key < 0 else self.contexts[field][key]
            i = table.index[sym]
            r = rng >> table.bits
            low += r * table.cum[i]
            rng = r * table.freq[i]
            if rng < RANGE_BOTTOM:  # once is enough: rng >= 2**(32 - bits) before the shift
                low <<= 8 * STEP_BYTES
                rng <<= 8 * STEP_BYTES
                nbytes += STEP_BYTES
        return final_bytes(low, rng, nbytes)

    # ----------------------------------------------------------------- decoding
    def decode(self, block: bytes, n_strings: int, max_len: int) -> list[bytes]:
        """The strings of ``block``; AigifError LIMIT / NONCANONICAL otherwise (spec order).

        One division and one slot look-up per symbol (two after ESC); the loop is bounded by the symbol count.
        """
        if n_strings not in (1, 2):
            raise ValueError("tag-lookup codes one or two strings")
        # the block as big-endian 32-bit words, zero padded (renormalization reads whole words: pos stays 4-aligned)
        data = bytes(block) + bytes(WINDOW_BYTES + (-len(block)) % STEP_BYTES)
        words = array(_WORD, data)
        if sys.byteorder == "little":
            words.byteswap()
        code = (words[0] << 32) | words[1]
        pos = WINDOW_BYTES
        rng = RANGE_TOP
        bottom, step_bits = RANGE_BOTTOM, 8 * STEP_BYTES
        limit = len(data)  # bytes in words
        max_symbols = 2 * max_len  # every symbol but END adds >= 1 byte to a folded string of <= 2 * max_len
        symbol_lists: list[list[int]] = []
        pending_lists: list[list] = []
        for field in range(n_strings):
            table, order0, members = self._start[field]
            o0_bits, o0_slots = order0
            syms_out: list[int] = []
            pending: list = []  # (i, check): the pair (token i, token i + 1) needs the greedy test
            append, note = syms_out.append, pending.append
            for n in range(max_symbols + 1):
                bits, slots = table
                r = rng >> bits
                sym, c, f, table, check = slots[code // r]
                code -= r * c
                rng = r * f
                if rng < bottom:
                    if pos >= limit:  # reading past the block: zeros
                        words.extend((0, 0))
                        limit += 2 * STEP_BYTES
                    code = (code << step_bits) | words[pos >> 2]
                    rng <<= step_bits
                    pos += STEP_BYTES
                if table is None:
                    if sym == END:
                        break
                    if sym != ESC:
                        raise _noncanonical("the code value lies outside every symbol's interval")
                    # the symbol follows in the order-0 table and must not be one of the context's
                    r = rng >> o0_bits
                    sym, c, f, table, check = o0_slots[code // r]
                    if sym < 0:
                        raise _noncanonical("the code value lies outside every symbol's interval")
                    if sym in members[syms_out[-1] if n else END]:
                        raise _noncanonical("a symbol of the context is coded after an escape")
                    code -= r * c
                    rng = r * f
                    if rng < bottom:
                        if pos >= limit:
                            words.extend((0, 0))
                            limit += 2 * STEP_BYTES
                        code = (code << step_bits) | words[pos >> 2]
                        rng <<= step_bits
                        pos += STEP_BYTES
                    if sym == END:
                        break
                if check is not None:
                    note((n - 1, check))
                append(sym)
            else:
                raise AigifError("AIGIF_E_LIMIT", f"tag-lookup string exceeds {max_len} bytes")
            symbol_lists.append(syms_out)
            pending_lists.append(pending)
        # The block must be the canonical final bytes of the interval reached: pos bytes are in the window.
        if len(block) > pos:
            raise _noncanonical("bytes after the end of the coded interval")
        low = (int.from_bytes(block, "big") << (8 * (pos - len(block)))) - code
        if final_bytes(low, rng, pos) != block:
            raise _noncanonical("the final bytes are not the shortest, smallest value in the interval")
        return self._strings(symbol_lists, pending_lists, max_len)


@lru_cache(maxsize=4)
def default_model(path: str | Path | None = None) -> TagLookupModel:
    """The tag-lookup v1 model, from ``path`` or spec/text/tag-lookup-v1.json."""
    return TagLookupModel.load(DEFAULT_MODEL_PATH if path is None else path)
