"""The invalid cases: each made from a valid encoding by surgery that introduces exactly one defect."""
from __future__ import annotations

import io
import struct
import zlib

from aigif_ref.codecs.phrase_huffman import default_model
from aigif_ref.grammar import limits
from aigif_ref.grammar.fields import GROUPS, PRESENCE_BITS
from aigif_ref.grammar.primitives import encode_exp_code, encode_uvarint, read_uvarint
from aigif_ref.registry import default_registry
from vectors.syntax_gen.cases import Builder
from vectors.syntax_gen.valid_cases import first_unregistered_extension_type
from vectors.syntax_gen.payloads import JXL_8X8, huffman_block
from vectors.syntax_gen.surgery import _show
from vectors.syntax_gen.valid_cases import LONG_PROMPT, PH_PROMPT

_F32 = struct.Struct("<f")

def add_cases(b: Builder) -> None:
    T, E = "AIGIF_E_TRUNCATED", b.invalid

    # Header.
    minimal = b.cases["valid-minimal"].data
    E("invalid-empty-file", "A file of zero bytes.", ["header", "truncation"], (b"", "empty file"), T, 0)
    E("invalid-signature-prefix-only", "Only the first 3 bytes of the signature: a truncated header, not a foreign file.",
      ["header", "truncation"], (minimal[:3], "encode(valid-minimal) truncated to 3 bytes"), T, 3)
    s = b.cut("valid-minimal").truncate(8, "inside the CRC field")
    E("invalid-truncated-header", "Signature and version present but the file ends inside the CRC field.",
      ["header", "truncation"], s.done(), T, 8)
    s = b.cut("valid-minimal").replace((0, 4), b"\x89PNG", "89 50 4e 47 (a PNG signature)")
    E("invalid-signature", "A PNG signature instead of the AIGIF one.", ["header", "signature"], s.done(),
      "AIGIF_E_SIGNATURE", 0)
    E("invalid-signature-short", "Two bytes that are not a prefix of the signature.", ["header", "signature"],
      (b"GI", "the two bytes 47 49"), "AIGIF_E_SIGNATURE", 0)
    for major in (2, 0):
        s = b.cut("valid-minimal").replace((4, 5), bytes([major << 4]), f"{major << 4:02x} (version {major}.0)")
        E(f"invalid-version-major-{major}", f"Major version {major}, which this reader does not support.",
          ["header", "version"], s.done(), "AIGIF_E_VERSION", 4)
    E("invalid-version-major-2-short", "Signature and a version 2.0 byte only: the version is checked before the header length.",
      ["header", "version", "order"], (limits.SIGNATURE + b"\x20", "the signature and version byte 20"), "AIGIF_E_VERSION", 4)

    # Truncation inside every field (CRC recomputed so only the length is wrong).
    s = b.cut("valid-minimal").truncate(limits.HEADER_SIZE, "no body at all")
    E("invalid-truncated-body-empty", "A complete header and no body.", ["truncation"], s.done(), T, 9)
    full = "valid-all-top-level-fields"
    for name in ("presence", "dtype", "scheduler", "steps", "guidance_scale", "seed", "height", "width",
                 "text_compressor", "text_length", "text_bytes", "device", "gpu", "cuda",
                 "params.bitmap", "params.original_size", "scheduler_config.bitmap", "scheduler_config.beta_start",
                 "platform.bitmap", "platform.torch_version", "ext0.header", "ext0.length", "ext0.body"):
        s = b.cut(full)
        start, end = s.at(name)
        keep = 2 if name == "scheduler_config.beta_start" else 1  # inside the raw float32, past its u
        s.cut_inside(name, keep)
        data, how = s.done()
        slug = name.replace(".", "-").replace("_", "-")
        E(f"invalid-truncated-{slug}", f"The file ends inside {name}, a field of {end - start} byte(s).", ["truncation"],
          (data, how), T, len(data))
    s = b.cut("valid-guidance-raw-0.1").cut_inside("guidance_scale", 3)
    E("invalid-truncated-guidance-raw", "The file ends inside the raw float32 of the guidance scale.",
      ["truncation", "cfloat-raw"], s.done(), T, s.start("guidance_scale") + 3)
    s = b.cut("valid-pixels-raw")
    at = s.replace_sized("ext0", b"", "nothing (an empty body)")
    E("invalid-truncated-pixels-body-empty", "A pixels extension whose body is empty: it ends before its pixel compressor code.",
      ["truncation", "extension", "pixels"], s.done(), T, at)
    s = b.cut("valid-minimal")
    s.truncate(s.start("model_id"), "before model_id").append(b"\xff", "the first byte of a 2-byte exp code")
    E("invalid-truncated-model-id-exp-code", "The file ends after a 0xFF byte of the model ID's exp code.",
      ["truncation", "exp-code"], s.done(), T, s.start("model_id") + 1)
    s = b.cut("valid-table1-example")
    s.replace("text_length", encode_uvarint(100), "64 (a zlib block of 100 bytes)")
    data, how = s.done()
    E("invalid-truncated-zlib-block", "The text block length says 100 bytes but the file ends sooner.",
      ["truncation", "text-zlib"], (data, how), T, len(data))
    s = b.cut("valid-negative-empty")
    s.replace("text_bytes", encode_uvarint(9) + b"a cat", "09 61 20 63 61 74 (prompt length 9 but 5 bytes follow)")
    E("invalid-text-prompt-length-overrun", "Inside a 'none' text block, the prompt length runs past the end of the block.",
      ["truncation", "text-none", "negative-prompt"], s.done(), T, s.start("text_bytes"))

    s = b.cut("valid-negative-empty")
    at = s.start("text_bytes")
    s.replace((at, at + 1), b"\x85\x00", "85 00 (over-long prompt length 5)")
    s.replace("text_length", encode_uvarint(7), "07 (7)")
    E("invalid-noncanonical-prompt-length-overlong", "Inside a 'none' text block, the prompt length 5 written as the over-long uvarint 85 00.",
      ["uvarint", "text-none", "negative-prompt"], s.done(), "AIGIF_E_NONCANONICAL", at)

    # CRC.
    s = b.cut("valid-minimal").replace((5, 6), bytes([minimal[5] ^ 1]), f"{minimal[5] ^ 1:02x} (lowest bit flipped)")
    E("invalid-crc-bit-flip", "One bit of the stored CRC-32 flipped.", ["crc"], s.keep_crc("the defect").done(),
      "AIGIF_E_CRC", 5)
    s = b.cut(full)
    pos = s.start("text_bytes") + len(encode_uvarint(len(LONG_PROMPT))) + LONG_PROMPT.index("horse")
    s.replace((pos, pos + 1), b"m", "6d ('h' of 'horse' -> 'm')")
    E("invalid-crc-prompt-byte", "One prompt byte changed (still valid UTF-8) without updating the CRC.",
      ["crc", "text-none"], s.keep_crc("the defect").done(), "AIGIF_E_CRC", 5)
    # 1.15: a later minor version, which a reader reads without a version check (spec 1.1, section 3), so that only
    # the CRC catches the change (0x11 would also break the version rule: a 1.1 file with only 1.0 features).
    s = b.cut("valid-minimal").replace((4, 5), b"\x1f", "1f (version 1.15)")
    E("invalid-crc-version-byte", "The minor version changed to 1.15 without updating the CRC (the CRC covers byte 4).",
      ["crc", "header"], s.keep_crc("the defect").done(), "AIGIF_E_CRC", 5)

    s = b.cut("valid-extension-unknown")
    s.truncate(s.start("ext0.header"), "exactly where the extension records begin").keep_crc("the only trace of the cut")
    E("invalid-crc-cut-before-extensions", "A file cut exactly before its extension record parses completely; only the CRC catches it.",
      ["crc", "truncation", "extension"], s.done(), "AIGIF_E_CRC", 5)

    # Canonical form.
    N = "AIGIF_E_NONCANONICAL"
    s = b.cut("valid-minimal").replace("presence", b"\x80\x00", "80 00 (over-long 0)")
    E("invalid-noncanonical-presence-overlong", "The presence bitmap 0 written as the over-long uvarint 80 00.",
      ["uvarint", "presence"], s.done(), N, 9)
    s = b.cut("valid-table1-example").replace("steps", b"\x99\x00", "99 00 (over-long 25)")
    E("invalid-noncanonical-steps-overlong", "Steps 25 written as the over-long uvarint 99 00.", ["uvarint"], s.done(),
      N, s.start("steps"))
    s = b.cut("valid-minimal").replace("steps", b"\x80\x00", "80 00 (over-long 0)")
    E("invalid-noncanonical-steps-overlong-zero", "Steps written 80 00: over-long and out of range, and the canonical-form check comes first.",
      ["uvarint", "order-of-checks"], s.done(), N, s.start("steps"))
    s = b.cut("valid-seed-4294967295").replace("seed", b"\xff\xff\xff\xff\x8f\x80\x00", "ff ff ff ff 8f 80 00 (over-long 2**32-1)")
    E("invalid-noncanonical-seed-overlong", "Seed 2**32-1 written with two redundant trailing groups.", ["uvarint", "seed"],
      s.done(), N, s.start("seed"))
    s = b.cut("valid-minimal")
    dtype_bit = encode_uvarint(1 << PRESENCE_BITS["dtype"])
    s.insert(s.at("model_id")[1], b"\x00", "dtype = 0").replace("presence", dtype_bit, f"{_show(dtype_bit)} (dtype present)")
    E("invalid-noncanonical-dtype-zero", "dtype present with code 0, which must be written by omission.", ["enum", "presence"],
      s.done(), N, s.at("model_id")[1])
    s = b.cut("valid-enum-codes-1").replace("gpu", b"\x00", "00")
    E("invalid-noncanonical-gpu-zero", "gpu present with code 0, which must be written by omission.", ["enum"], s.done(),
      N, s.start("gpu"))
    s = b.cut("valid-minimal")
    params_bit = encode_uvarint(1 << PRESENCE_BITS["params"])
    s.append(b"\x00", "an empty params bitmap").replace("presence", params_bit, f"{_show(params_bit)} (params present)")
    E("invalid-noncanonical-empty-group", "The params group present with an empty bitmap.", ["params", "presence"], s.done(),
      N, len(minimal))
    s = b.cut("valid-table1-example").replace("guidance_scale", b"\x01" + _F32.pack(7.5), "01 + float32 7.5")
    E("invalid-noncanonical-guidance-raw-7.5", "Guidance 7.5 stored raw although the compact form represents it.",
      ["cfloat-raw"], s.done(), N, s.start("guidance_scale"))
    s = b.cut("valid-minimal").replace("guidance_scale", b"\x01" + _F32.pack(0.0), "01 + float32 0.0")
    E("invalid-noncanonical-guidance-raw-zero", "Guidance +0.0 stored raw although the compact form represents it.",
      ["cfloat-raw"], s.done(), N, s.start("guidance_scale"))
    payload = LONG_PROMPT.encode()  # (zlib streams other than level 9 are valid since 1.1: cases_v1_1.py)
    s = b.cut("valid-extensions-two")
    first, second = s.at("ext0.header")[0], s.at("ext1.header")[0]
    records = bytes(s.data[first:])
    s.replace((first, len(s.data)), records[second - first:] + records[:second - first], "the two extension records swapped")
    E("invalid-noncanonical-extension-order", "Extension type 1000 before type 1.", ["extension"], s.done(),
      N, first + len(records) - (second - first))
    s = b.cut("valid-extensions-two").replace("ext1.header", encode_uvarint(1 << 1), "02 (type 1 again)")
    E("invalid-noncanonical-extension-duplicate", "Extension type 1 twice (the second replaces type 1000).", ["extension"],
      s.done(), N, s.start("ext1.header"))
    s = b.cut("valid-pixels-raw").replace("ext0.header", b"\x03", "03 (type 1, must_understand 1)")
    E("invalid-noncanonical-pixels-must-understand", "The pixels extension flagged must-understand, which it never is.",
      ["extension", "pixels"], s.done(), N, s.start("ext0.header"))

    # Reserved bits and forms.
    R = "AIGIF_E_RESERVED"
    s = b.cut("valid-minimal").replace("guidance_scale", b"\x03", "03 (float form u = 3)")
    E("invalid-reserved-float-form", "A compact float with the reserved odd form u = 3.", ["cfloat-compact"], s.done(),
      R, s.start("guidance_scale"))
    top = max(PRESENCE_BITS.values()) + 1  # the first reserved presence bit
    s = b.cut("valid-minimal").replace("presence", encode_uvarint(1 << top), f"{_show(encode_uvarint(1 << top))} (bit {top})")
    E("invalid-reserved-presence-bit", f"Presence bit {top}, which is reserved.", ["presence"], s.done(), R,
      s.start("presence"))
    s = b.cut(full)
    bitmap = read_uvarint(io.BytesIO(bytes(s.data[slice(*s.at("platform.bitmap"))])), "bitmap")
    top = max(spec.bit for spec in GROUPS["platform"]) + 1  # the first reserved platform bit
    s.replace("platform.bitmap", encode_uvarint(bitmap | 1 << top), f"{_show(encode_uvarint(bitmap | 1 << top))} (bit {top} added)")
    E("invalid-reserved-group-bit", f"Platform bitmap bit {top}, which is reserved.", ["platform"], s.done(), R,
      s.start("platform.bitmap"))
    s = b.cut("valid-minimal").append(b"\x00\x00", "extension header 0 (type 0), length 0")
    E("invalid-reserved-extension-type-0", "An extension record of reserved type 0.", ["extension"], s.done(), R, len(minimal))

    # Ranges.
    G = "AIGIF_E_RANGE"
    s = b.cut("valid-seed-18446744073709551615").replace("seed", b"\xff" * 9 + b"\x02", "ff x9 02 (2**64 + 2**63 - 1)")
    E("invalid-range-seed-65-bits", "A 10-byte uvarint whose value needs 65 bits.", ["uvarint", "seed"], s.done(), G,
      s.start("seed"))
    s = b.cut("valid-minimal").replace("seed", b"\x80" * 10 + b"\x00", "80 x10 00 (11 bytes)")
    E("invalid-range-uvarint-11-bytes", "A uvarint of 11 bytes (more than the 10 a 64-bit value needs).", ["uvarint", "seed"],
      s.done(), G, s.start("seed"))
    for steps in (0, 1001):
        s = b.cut("valid-minimal").replace("steps", encode_uvarint(steps), _show(encode_uvarint(steps)) + f" ({steps})")
        E(f"invalid-range-steps-{steps}", f"Steps {steps}, outside 1..1000.", ["range"], s.done(), G, s.start("steps"))
    s = b.cut("valid-minimal").replace("height", b"\x00", "00 (0 px)")
    E("invalid-range-height-0", "Height 0.", ["range"], s.done(), G, s.start("height"))
    s = b.cut("valid-minimal").replace("width", encode_uvarint(2049), "81 10 (2049 units = 16392 px)")
    E("invalid-range-width-2049-units", "Width 16392 px, one unit beyond the 16384 px limit.", ["range"], s.done(), G,
      s.start("width"))
    s = b.cut("valid-params-sd1").replace("params.vae_tiling", b"\x02", "02")
    E("invalid-range-bool-2", "A boolean byte 0x02 (params.vae_tiling).", ["bool", "params"], s.done(), G,
      s.start("params.vae_tiling"))
    s = b.cut("valid-params-sd1").replace("params.clip_skip", b"\x41", "41 (65)")
    E("invalid-range-clip-skip-65", "params.clip_skip 65, outside 1..64.", ["params", "range"], s.done(), G,
      s.start("params.clip_skip"))
    for name, f32 in (("nan", b"\x00\x00\xc0\x7f"), ("inf", b"\x00\x00\x80\x7f"), ("minus-inf", b"\x00\x00\x80\xff")):
        s = b.cut("valid-guidance-raw-0.1").replace("guidance_scale", b"\x01" + f32, f"01 {f32.hex(' ')} ({name})")
        E(f"invalid-range-guidance-{name}", f"A raw guidance scale that is {name.replace('-', ' ')}.", ["cfloat-raw", "range"],
          s.done(), G, s.start("guidance_scale"))
    u = limits.MAX_COMPACT_QUARTERS << 1
    s = b.cut("valid-minimal").replace("guidance_scale", encode_uvarint(u), f"{_show(encode_uvarint(u))} (u = 2**25)")
    E("invalid-range-guidance-compact-2p22", "A compact float of 2**22 (k = 2**24), beyond the exact compact range.",
      ["cfloat-compact", "range"], s.done(), G, s.start("guidance_scale"))
    s = b.cut("valid-platform-all").replace("platform.torch_version", encode_uvarint(70000) + b"\x0b\x00", "70000, 11, 0")
    E("invalid-range-version-component", "A platform version component 70000, above 65535.", ["platform", "version"],
      s.done(), G, s.start("platform.torch_version"))
    s = b.cut("valid-platform-all").replace("platform.batch_index", b"\x04", "04 (batch_index 4 = batch_size)")
    E("invalid-range-batch-index", "platform.batch_index 4 in a batch of 4 (must be below batch_size).", ["platform", "range"],
      s.done(), G, None)

    # Limits.
    L = "AIGIF_E_LIMIT"
    s = b.cut("valid-minimal").replace("model_id", b"\xff" * 64 + b"\x00", "ff x64 00 (65-byte exp code)")
    E("invalid-limit-exp-code-65-bytes", "A model ID exp code of 65 bytes (64 x 0xFF then 0x00).", ["exp-code", "limit"],
      s.done(), L, s.start("model_id"))
    s = b.cut("valid-minimal").replace("text_length", encode_uvarint(limits.MAX_TEXT_BLOCK_BYTES + 1), "81 80 04 (65537)")
    E("invalid-limit-text-block-65537", "A text block length of 65537, one above the limit (no block follows).",
      ["text-none", "limit"], s.done(), L, s.start("text_length"))
    s = b.cut("valid-prompt-max-length")
    at = s.replace_sized("text", b"x" * (limits.MAX_STRING_BYTES + 1), "16385 x 'x'")
    E("invalid-limit-string-16385", "A prompt of 16385 bytes, one above the string limit.", ["text-none", "limit"], s.done(),
      L, at)
    s = b.cut("valid-text-zlib")
    at = s.replace_sized("text", zlib.compress(b"a" * (1 << 20), 9), "zlib level 9 of 1 MiB of 'a'")
    E("invalid-limit-zlib-bomb", "A zlib text block that inflates to 1 MiB.", ["text-zlib", "limit"], s.done(), L, at)
    s = b.cut("valid-extension-unknown")
    s.replace("ext0.length", encode_uvarint(limits.MAX_EXTENSION_BYTES + 1), "81 80 80 20 (64 MiB + 1)")
    E("invalid-limit-extension-length", "An extension length of 64 MiB + 1 (the body is not there either).",
      ["extension", "limit"], s.done(), L, s.start("ext0.length"))

    # Decompression.
    D = "AIGIF_E_DECOMPRESS"
    good = zlib.compress(payload, 9)
    for name, block, what in (("garbage", b"not a zlib stream", "the 17 ASCII bytes 'not a zlib stream'"),
                              ("incomplete", good[:-8], "the level-9 stream without its last 8 bytes"),
                              ("trailing-bytes", good + b"\x00", "the level-9 stream plus one 00 byte")):
        s = b.cut("valid-text-zlib")
        at = s.replace_sized("text", block, what)
        E(f"invalid-decompress-zlib-{name}", f"A zlib text block that is {what}.", ["text-zlib"], s.done(), D, at)

    # phrase-Huffman v1 blocks, written with the codes of the shipped model.
    model = default_model()
    good, pad = huffman_block(model, [model.symbols(PH_PROMPT.encode())])
    assert good == model.encode([PH_PROMPT.encode()]) and pad > 0
    literals, _ = huffman_block(model, [list(PH_PROMPT.encode())])
    for slug, block, what, error in (
        ("truncated", good[:-1], "the valid block without its last byte", T),
        ("trailing-byte", good + b"\x00", "the valid block plus a 00 byte after the padding", N),
        ("padding-bits", good[:-1] + bytes([good[-1] | 1]), f"the valid block with its last padding bit (of {pad}) set", N),
        ("not-greedy", literals, "the prompt coded as literal bytes only, although phrases match", N),
        ("string-16385", model.encode([b"x" * (limits.MAX_STRING_BYTES + 1)]), "16385 literal 'x' bytes", L),
        ("utf8", model.encode([b"\xff"]), "the literal byte ff (not UTF-8)", "AIGIF_E_UTF8"),
    ):
        s = b.cut("valid-text-phrase-huffman-prompt")
        at = s.replace_sized("text", block, what)
        E(f"invalid-phrase-huffman-{slug}", f"A phrase-Huffman text block that is {what}.", ["text-phrase-huffman"],
          s.done(), error, at)

    # UTF-8.
    U = "AIGIF_E_UTF8"
    for name, bad, what in (("ff-byte", b"\xff", "the byte ff"), ("overlong", b"\xe0\x80\x80", "an over-long 3-byte form of U+0000"),
                            ("surrogate", b"\xed\xa0\x80", "the surrogate U+D800")):
        s = b.cut("valid-prompt-cjk")
        start = s.start("text_bytes")  # the 3-byte first character becomes the bad sequence, padded with spaces
        s.replace((start, start + 3), bad.ljust(3, b" "), f"{bad.ljust(3, b' ').hex(' ')} ({what})")
        E(f"invalid-utf8-prompt-{name}", f"A prompt with {what}, which is not valid UTF-8.", ["utf8", "text-none"],
          s.done(), U, start)
    s = b.cut("valid-negative-long")
    start = s.start("text_bytes") + 1 + len("a cat")  # after the prompt-length uvarint and the prompt
    s.replace((start, start + 2), b"\xc3\x28", "c3 28 (lead byte, then no continuation)")
    E("invalid-utf8-negative-prompt", "A negative prompt with a 2-byte lead byte not followed by a continuation byte.",
      ["utf8", "negative-prompt"], s.done(), U, s.start("text_bytes"))

    # Extensions.
    unknown = first_unregistered_extension_type(default_registry())
    header = encode_uvarint(unknown << 1 | 1)
    s = b.cut("valid-extension-unknown").replace("ext0.header", header, f"{header.hex(' ')} (type {unknown}, must_understand 1)")
    E("invalid-must-understand-unknown", f"Unknown extension type {unknown} flagged must-understand.", ["extension", "unknown-extension"],
      s.done(), "AIGIF_E_MUST_UNDERSTAND", s.start("ext0.header"))
    s = b.cut("valid-extensions-two").replace("ext1.header", encode_uvarint(1000 << 1 | 1), "d1 0f (type 1000, must_understand 1)")
    E("invalid-must-understand-second-record", "Unknown extension type 1000 flagged must-understand after a pixels extension: "
      "every record is checked, not only the first.", ["extension", "unknown-extension"], s.done(),
      "AIGIF_E_MUST_UNDERSTAND", s.start("ext1.header"))
    X = "AIGIF_E_EXTENSION"
    s = b.cut("valid-pixels-png").replace("height", b"\x02", "02 (16 px; the PNG stays 8x8)")
    E("invalid-extension-png-size", "A PNG of 8x8 while the record says 16x8.", ["extension", "pixels", "png"], s.done(), X,
      s.start("ext0.body"))
    s = b.cut("valid-pixels-png")
    start = s.start("ext0.body") + 1
    s.replace((start, start + 1), b"\x88", "88 (first PNG signature byte changed)")
    E("invalid-extension-not-png", "Pixel compressor 1 but the data does not start with the PNG signature.",
      ["extension", "pixels", "png"], s.done(), X, s.start("ext0.body"))
    s = b.cut("valid-pixels-raw")
    body = bytes(s.data[slice(*s.at("ext0.body"))])
    at = s.replace_sized("ext0", body[:-3], "the same body without its last pixel")
    E("invalid-extension-raw-pixel-count", "Raw pixels of 189 bytes for an 8x8x3 = 192-byte image.", ["extension", "pixels"],
      s.done(), X, at)
    s = b.cut("valid-pixels-jxl")
    start = s.start("ext0.body") + 3  # after the compressor code and FF 0A: the first SizeHeader byte
    s.replace((start, start + 1), b"\x43", "43 (small, height 16, ratio 1:1: a 16x16 codestream)")
    E("invalid-extension-jxl-size", "A JPEG XL codestream whose SizeHeader says 16x16 while the record says 8x8.",
      ["extension", "pixels", "jxl"], s.done(), X, s.start("ext0.body"))
    s = b.cut("valid-pixels-jxl")
    at = s.replace_sized("ext0", b"\x02" + b"\x00\x00\x00\x0cJXL \r\n\x87\n" + JXL_8X8,
                         "02, then the codestream wrapped in the JPEG XL container signature box")
    E("invalid-extension-jxl-container", "A JPEG XL file in the ISOBMFF container: AIGIF stores only the bare codestream.",
      ["extension", "pixels", "jxl"], s.done(), X, at)
    s = b.cut("valid-pixels-jxl")
    at = s.replace_sized("ext0", b"\x02" + JXL_8X8[:11], "02 and the first 11 bytes of the codestream")
    E("invalid-extension-jxl-short", "A JPEG XL payload of 11 bytes, shorter than a codestream header can be.",
      ["extension", "pixels", "jxl"], s.done(), X, at)
    s = b.cut("valid-pixel-digest")
    body = bytes(s.data[slice(*s.at("ext0.body"))])
    at = s.replace_sized("ext0", body[:-1], "the same body without its last signature byte")
    E("invalid-extension-digest-length", "A pixel digest of 95 bytes; algorithm 0 has exactly 96.",
      ["extension", "pixel-digest"], s.done(), X, at)
    s = b.cut("valid-pixel-digest").replace("ext0.header", b"\x07", "07 (type 3, must_understand 1)")
    E("invalid-noncanonical-digest-must-understand", "The pixel digest extension flagged must-understand, which it never is.",
      ["extension", "pixel-digest"], s.done(), "AIGIF_E_NONCANONICAL", s.start("ext0.header"))

    # Registry codes and families (syntax is fine; the registry rejects).
    K = "AIGIF_E_UNKNOWN_CODE"
    unknown = default_registry().data["unknown_model_ids"]["first"]  # never assigned, whatever models a registry adds
    s = b.cut("valid-minimal").replace("model_id", encode_exp_code(unknown), encode_exp_code(unknown).hex(" "))
    E("invalid-unknown-model-id", f"Model ID {unknown}, which no registry assigns (`unknown_model_ids`).",
      ["registry", "exp-code"], s.done(), K, None)
    unknown_scheduler = max(default_registry().enum("schedulers")) + 1
    s = b.cut("valid-enum-codes-9").replace("scheduler", encode_exp_code(unknown_scheduler), encode_exp_code(unknown_scheduler).hex())
    E("invalid-unknown-scheduler", f"Scheduler code {unknown_scheduler}, the first not in the registry.", ["registry", "enum"],
      s.done(), K, None)
    s = b.cut("valid-enum-codes-7").replace("gpu", b"\x08", "08")
    E("invalid-unknown-gpu", "GPU code 8, not in the shipped registry.", ["registry", "enum"], s.done(), K, None)
    s = b.cut("valid-enum-codes-3").replace("scheduler_config.prediction_type", b"\x04", "04")
    E("invalid-unknown-prediction-type", "scheduler_config.prediction_type code 4, not in the registry.",
      ["registry", "scheduler_config"], s.done(), K, None)
    free_text = 1 + max(b.registries[None].enum("text_compressors"))  # the next code the registry has not assigned
    s = b.cut("valid-minimal").replace("text_compressor", encode_exp_code(free_text), encode_exp_code(free_text).hex())
    E("invalid-unknown-text-compressor", f"Text compressor code {free_text}, not known.", ["registry", "text-none"], s.done(), K,
      s.start("text_bytes"))
    s = b.cut("valid-pixels-raw")
    s.replace((s.start("ext0.body"), s.start("ext0.body") + 1), b"\x03", "03 (pixel compressor 3)")
    E("invalid-unknown-pixel-compressor", "Pixel compressor code 3, not known.", ["registry", "pixels", "extension"],
      s.done(), K, s.start("ext0.body"))
    s = b.cut("valid-pixel-digest")
    s.replace((s.start("ext0.body"), s.start("ext0.body") + 1), b"\x01", "01 (digest algorithm 1)")
    E("invalid-unknown-digest-algorithm", "Digest algorithm 1, not known.", ["registry", "pixel-digest", "extension"],
      s.done(), K, s.start("ext0.body"))
    s = b.cut("valid-exp-code-5000")
    E("invalid-unknown-gpu-5000-shipped-registry", "valid-exp-code-5000's bytes checked against the shipped registry, which lacks GPU 5000.",
      ["registry", "exp-code"], s.done(), K, None)

    P = "AIGIF_E_PARAM_FAMILY"
    s = b.cut("valid-params-sdxl").replace("model_id", b"\x00", "00 (SD 1.5)")
    E("invalid-param-family-original-size-on-sd1", "SDXL's original_size (and other SDXL params) on SD 1.5.",
      ["params", "registry"], s.done(), P, None)
    s = b.cut("valid-params-flux").replace("model_id", b"\x02", "02 (SDXL)")
    E("invalid-param-family-flux-on-sdxl", "FLUX's max_sequence_length on an SDXL model.", ["params", "registry"], s.done(),
      P, None)
