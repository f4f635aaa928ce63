"""Integer-only arithmetic coding of the chunk indices (normative: spec/diffc.md, section 3.4).

A binary arithmetic coder in the style of Witten, Neal & Cleary (1987) with 32-bit code values and
adaptive frequency tables; no floating point anywhere, so every implementation produces and reads the
same bytes. Integers n >= 0 are coded as a bucket (the bit length of n, an adaptive symbol) followed by
the bits of n below its leading 1 (uniform symbols of at most 16 bits, most significant piece first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aigif_ref.errors import AigifError

CODE_BITS = 32
TOP = (1 << CODE_BITS) - 1
HALF = 1 << (CODE_BITS - 1)
QUARTER = 1 << (CODE_BITS - 2)
FREQ_INCREMENT = 32
FREQ_LIMIT = 1 << 16     # after an update that takes the total above this, every frequency is halved (rounded up)
RAW_PIECE_BITS = 16


@dataclass
class AdaptiveModel:
    """Frequencies of symbols 0..size-1, each starting at 1 (or at ``prior``'s, a profile's table)."""

    size: int
    freqs: list[int] = field(default_factory=list)
    prior: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self.freqs = list(self.prior) if self.prior else [1] * self.size
        if len(self.freqs) != self.size or min(self.freqs) < 1 or sum(self.freqs) > FREQ_LIMIT:
            raise ValueError(f"a prior of {self.size} frequencies >= 1 summing to at most {FREQ_LIMIT}")

    def interval(self, symbol: int) -> tuple[int, int, int]:
        low = sum(self.freqs[:symbol])
        return low, low + self.freqs[symbol], sum(self.freqs)

    def update(self, symbol: int) -> None:
        self.freqs[symbol] += FREQ_INCREMENT
        if sum(self.freqs) > FREQ_LIMIT:
            self.freqs = [(f + 1) >> 1 for f in self.freqs]


class Encoder:
    def __init__(self) -> None:
        self.low, self.high, self.pending = 0, TOP, 0
        self.bits: list[int] = []

    def _emit(self, bit: int) -> None:
        self.bits.append(bit)
        self.bits.extend([1 - bit] * self.pending)
        self.pending = 0

    def encode(self, cum_low: int, cum_high: int, total: int) -> None:
        span = self.high - self.low + 1
        self.high = self.low + span * cum_high // total - 1
        self.low = self.low + span * cum_low // total
        while True:
            if self.high < HALF:
                self._emit(0)
            elif self.low >= HALF:
                self._emit(1)
                self.low -= HALF
                self.high -= HALF
            elif self.low >= QUARTER and self.high < 3 * QUARTER:
                self.pending += 1
                self.low -= QUARTER
                self.high -= QUARTER
            else:
                break
            self.low = 2 * self.low
            self.high = 2 * self.high + 1

    def symbol(self, model: AdaptiveModel, symbol: int) -> None:
        self.encode(*model.interval(symbol))
        model.update(symbol)

    def raw(self, value: int, bits: int) -> None:
        while bits > 0:
            piece = min(bits, RAW_PIECE_BITS)
            bits -= piece
            self.encode((value >> bits) & ((1 << piece) - 1), ((value >> bits) & ((1 << piece) - 1)) + 1, 1 << piece)

    def integer(self, model: AdaptiveModel, value: int, offset: int = 0) -> None:
        """value >= offset: bucket bit_length(value - offset) by ``model``, then the bits below the leading 1."""
        n = value - offset
        bucket = n.bit_length()
        self.symbol(model, bucket)
        if bucket > 1:
            self.raw(n - (1 << (bucket - 1)), bucket - 1)

    def finish_shortest(self) -> bytes:
        """Version 2 termination (spec/diffc.md 3.5): the shortest code whose zero-padded value lies in the
        final interval, without its trailing zero bits, padded with 0 bits to a byte; b"" when that is 0."""
        scale = self.pending + CODE_BITS  # the window and the pending bits, below the emitted bits
        head = int("".join(map(str, self.bits)) or "0", 2) << scale
        offset = HALF * ((1 << self.pending) - 1)  # undoes the pending E3 scalings: x = (w + offset) / 2^pending
        low, high = head + self.low + offset, head + self.high + offset
        total_bits = len(self.bits) + scale
        if low == 0:
            return b""
        # the coarsest multiple of 2^j inside [low, high]: high with the bits below the highest bit where
        # low - 1 and high differ cleared (a multiple of 2^(j+1) would lie at or below low - 1)
        j = ((low - 1) ^ high).bit_length() - 1
        value = high >> j << j
        used = total_bits - (value & -value).bit_length() + 1  # bits up to and including the last 1
        nbytes = (used + 7) // 8
        return (value >> (total_bits - used) << (nbytes * 8 - used)).to_bytes(nbytes, "big")

    def finish(self) -> bytes:
        self.pending += 1
        self._emit(0 if self.low < QUARTER else 1)
        bits = self.bits + [0] * (-len(self.bits) % 8)
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


class Decoder:
    """Reads what Encoder wrote; bits past the end of the data read as 0."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.low, self.high, self.value = 0, TOP, 0
        for _ in range(CODE_BITS):
            self.value = (self.value << 1) | self._bit()

    def _bit(self) -> int:
        byte, offset = divmod(self.position, 8)
        self.position += 1
        return (self.data[byte] >> (7 - offset)) & 1 if byte < len(self.data) else 0

    def decode(self, total: int) -> int:
        """The cumulative count the next symbol's interval holds (call ``consume`` with its interval next)."""
        span = self.high - self.low + 1
        return ((self.value - self.low + 1) * total - 1) // span

    def consume(self, cum_low: int, cum_high: int, total: int) -> None:
        span = self.high - self.low + 1
        self.high = self.low + span * cum_high // total - 1
        self.low = self.low + span * cum_low // total
        while True:
            if self.high < HALF:
                pass
            elif self.low >= HALF:
                self.low -= HALF
                self.high -= HALF
                self.value -= HALF
            elif self.low >= QUARTER and self.high < 3 * QUARTER:
                self.low -= QUARTER
                self.high -= QUARTER
                self.value -= QUARTER
            else:
                break
            self.low = 2 * self.low
            self.high = 2 * self.high + 1
            self.value = 2 * self.value | self._bit()

    def symbol(self, model: AdaptiveModel) -> int:
        total = sum(model.freqs)
        count = self.decode(total)
        low = 0
        for symbol, freq in enumerate(model.freqs):
            if count < low + freq:
                self.consume(low, low + freq, total)
                model.update(symbol)
                return symbol
            low += freq
        raise AigifError("AIGIF_E_DIFFC", "DiffC index stream: a symbol outside its model (corrupt stream)")

    def raw(self, bits: int) -> int:
        value = 0
        while bits > 0:
            piece = min(bits, RAW_PIECE_BITS)
            bits -= piece
            part = self.decode(1 << piece)
            if part >= 1 << piece:
                raise AigifError("AIGIF_E_DIFFC", "DiffC index stream: a raw value out of range (corrupt stream)")
            self.consume(part, part + 1, 1 << piece)
            value = (value << piece) | part
        return value

    def integer(self, model: AdaptiveModel, offset: int = 0) -> int:
        bucket = self.symbol(model)
        if bucket <= 1:
            return bucket + offset
        return (1 << (bucket - 1)) + self.raw(bucket - 1) + offset


# The DiffC index stream: for each coded step, its chunk count (>= 1), then its chunk indices.
COUNT_BUCKETS = 25   # chunk counts below 2**24
INDEX_BUCKETS = 17   # indices below 2**16
MAX_CHUNKS_PER_STEP = (1 << 24) - 1


def index_context(chunks_in_step: int) -> int:
    """Index model of a step: 0 for a step of one chunk, 1 for a step of several."""
    return 0 if chunks_in_step == 1 else 1


def encode_indices(steps: list[list[int]]) -> bytes:
    """The arithmetic-coded stream of per-step chunk index lists."""
    encoder = Encoder()
    counts = AdaptiveModel(COUNT_BUCKETS)
    indices = [AdaptiveModel(INDEX_BUCKETS), AdaptiveModel(INDEX_BUCKETS)]
    for step in steps:
        if not 1 <= len(step) <= MAX_CHUNKS_PER_STEP:
            raise ValueError("a step has 1 .. 2**24 - 1 chunks")
        encoder.integer(counts, len(step), offset=1)
        model = indices[index_context(len(step))]
        for index in step:
            if not 0 <= index < 1 << 16:
                raise ValueError("chunk indices are below 2**16")
            encoder.integer(model, index)
    return encoder.finish()


def decode_indices(data: bytes, steps: int, max_chunks: int) -> list[list[int]]:
    """Per-step chunk indices of ``steps`` steps; each step has at most ``max_chunks`` chunks (else AIGIF_E_DIFFC).

    The stream must be canonical: exactly the bytes encode_indices writes for what it decodes to.
    """
    decoder = Decoder(data)
    counts = AdaptiveModel(COUNT_BUCKETS)
    indices = [AdaptiveModel(INDEX_BUCKETS), AdaptiveModel(INDEX_BUCKETS)]
    out: list[list[int]] = []
    for step in range(steps):
        chunks = decoder.integer(counts, offset=1)
        if chunks > max_chunks:
            raise AigifError("AIGIF_E_DIFFC", f"DiffC step {step} has {chunks} chunks; the latent allows at most {max_chunks}")
        model = indices[index_context(chunks)]
        out.append([decoder.integer(model) for _ in range(chunks)])
    if encode_indices(out) != data:
        raise AigifError("AIGIF_E_DIFFC", "DiffC index stream is not canonical (trailing or altered bytes after the "
                                          "last coded index)")
    return out


# Version 2 stream (spec/diffc.md 3.5): the coded step count, then per step its chunk count as a deviation
# from the profile's expected count, then its indices; models start from the profile's tables.
def zigzag(d: int) -> int:
    return 2 * d if d >= 0 else -2 * d - 1


def unzigzag(z: int) -> int:
    return z >> 1 if z % 2 == 0 else -((z + 1) >> 1)


@dataclass(frozen=True)
class StreamTables:
    """What a version-2 stream's models start from: all from the profile."""

    timesteps: int                   # the profile's timestep count: steps k are coded uniform in 1..timesteps
    expected_chunks: tuple[int, ...]  # per profile timestep
    count_prior: tuple[int, ...]      # COUNT_BUCKETS frequencies, buckets of zigzag(chunks - expected)
    index_prior: tuple[int, ...]      # INDEX_BUCKETS frequencies, buckets of the index


def encode_stream_v2(steps: list[list[int]], tables: StreamTables) -> bytes:
    if not 1 <= len(steps) <= tables.timesteps:
        raise ValueError(f"a version-2 stream codes 1..{tables.timesteps} steps")
    encoder = Encoder()
    encoder.encode(len(steps) - 1, len(steps), tables.timesteps)
    counts = AdaptiveModel(COUNT_BUCKETS, prior=tables.count_prior)
    indices = AdaptiveModel(INDEX_BUCKETS, prior=tables.index_prior)
    for step, chunk_indices in enumerate(steps):
        if not 1 <= len(chunk_indices) <= MAX_CHUNKS_PER_STEP:
            raise ValueError("a step has 1 .. 2**24 - 1 chunks")
        encoder.integer(counts, zigzag(len(chunk_indices) - tables.expected_chunks[step]))
        for index in chunk_indices:
            if not 0 <= index < 1 << 16:
                raise ValueError("chunk indices are below 2**16")
            encoder.integer(indices, index)
    return encoder.finish_shortest()


def decode_stream_v2(data: bytes, tables: StreamTables, max_chunks: int) -> list[list[int]]:
    """The per-step chunk indices of a version-2 stream; AIGIF_E_DIFFC when corrupt or not canonical."""
    decoder = Decoder(data)
    steps = decoder.decode(tables.timesteps) + 1
    if steps > tables.timesteps:
        raise AigifError("AIGIF_E_DIFFC", "DiffC index stream: a step count outside the profile (corrupt stream)")
    decoder.consume(steps - 1, steps, tables.timesteps)
    counts = AdaptiveModel(COUNT_BUCKETS, prior=tables.count_prior)
    indices = AdaptiveModel(INDEX_BUCKETS, prior=tables.index_prior)
    out: list[list[int]] = []
    for step in range(steps):
        chunks = tables.expected_chunks[step] + unzigzag(decoder.integer(counts))
        if not 1 <= chunks <= max_chunks:
            raise AigifError("AIGIF_E_DIFFC", f"DiffC step {step} has {chunks} chunks; the latent allows 1..{max_chunks}")
        out.append([decoder.integer(indices) for _ in range(chunks)])
    if encode_stream_v2(out, tables) != data:
        raise AigifError("AIGIF_E_DIFFC", "DiffC index stream is not canonical (trailing or altered bytes after the "
                                          "last coded index)")
    return out
