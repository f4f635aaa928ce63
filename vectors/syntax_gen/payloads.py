"""Fixed payloads the cases embed: pixels, a PNG, a JPEG XL codestream, a pixel digest, phrase-Huffman blocks."""
from __future__ import annotations

import base64
import hashlib

from aigif_ref.codecs.phrase_huffman import END, PhraseHuffmanModel
from aigif_ref.codecs.png import encode_png_rgb8

def tiny_png(height: int, width: int) -> bytes:
    """A valid RGB PNG with a gradient; stored deflate, so no zlib version shows in the bytes."""
    rgb = bytes((x * 32 + y * 4) % 256 for y in range(height) for x in range(width) for _ in range(3))
    return encode_png_rgb8(width, height, rgb)


def raw_pixels(height: int, width: int) -> bytes:
    return bytes((x * 29 + y * 7 + c * 85) % 256 for y in range(height) for x in range(width) for c in range(3))


# raw_pixels(8, 8) as a lossless JPEG XL codestream, written once by pillow-jxl-plugin 1.3.8
# (Image.save(format="JXL", lossless=True)) and kept as bytes so the vectors do not depend on a libjxl version.
JXL_8X8 = bytes.fromhex(
    "ff0a414024080001004c034b3840c52b7bc4a1307dd1f8b2c2782928282895125130e206218631101dad586c086363f06ec5"
    "18231a634860638c88c102b13178410c9e117d810002b4b51300b41b668b5ab484c1a256bde31be8bd20422f7a3b7555e4e5"
    "364591bcd5154532a14f14490f23b151c428a1aa2a9b5955aa5246b095aa142075a52a5581507a5632c49e95cf8067e50944"
    "89b7e287014a389010e23d4d8440a517a2f2fb3706a332861742a33206e39bbf3206a368fade97d528e010fb675c26b82b08"
    "e26cf0629520bff4980239cff4610911e30544405810")


def pixel_digest(height: int, width: int) -> bytes:
    """Digest algorithm 0 of raw_pixels(height, width), computed from its definition (spec 9.3)."""
    rgb = raw_pixels(height, width)
    signature = bytearray()
    bh, bw = height // 8, width // 8
    for gy in range(8):
        for gx in range(8):
            total = sum(77 * rgb[i] + 150 * rgb[i + 1] + 29 * rgb[i + 2]
                        for y in range(gy * bh, (gy + 1) * bh) for x in range(gx * bw, (gx + 1) * bw)
                        for i in [(y * width + x) * 3])
            n = bh * bw
            signature.append((total + 128 * n) // (256 * n))
    return hashlib.sha256(rgb).digest() + bytes(signature)


def huffman_block(model: PhraseHuffmanModel, strings: list[list[int]]) -> tuple[bytes, int]:
    """(block, padding bits) for the given symbols of each string, END appended to each.

    Lets a case write a token sequence the encoder never would (e.g. literals where a phrase matches).
    """
    bits = "".join(format(model.codes[sym], f"0{model.code_lengths[sym]}b") for syms in strings for sym in [*syms, END])
    pad = -len(bits) % 8
    return int(bits + "0" * pad, 2).to_bytes((len(bits) + pad) // 8, "big"), pad


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
