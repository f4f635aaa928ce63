"""Syntax cases added by spec 1.1 (spec/bitstream.md, section 16): what the Node.js implementation found
and the prompt-text transformations real tools apply.

Declarative: each entry names a case, what it tests and how it is made; `add_cases` turns the
entries into cases with the generator's Builder (valid ones encoded from records, invalid ones by
byte surgery on a valid case, with the CRC recomputed unless the entry says why not).
"""
from __future__ import annotations

import zlib
from typing import Any, Callable

from aigif_ref.grammar import limits
from aigif_ref.grammar.primitives import encode_uvarint
from vectors.syntax_gen.valid_cases import first_unregistered_extension_type

MINIMAL = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "height": 8, "width": 8, "prompt": "",
           "text_compressor": 0}
ZLIB_PAYLOAD = ("a photograph of an astronaut riding a horse on the moon, highly detailed, dramatic lighting, "
                "volumetric fog, 35mm film grain, wide angle, golden hour, trending on artstation").encode()
TAGS = ", ".join(f"tag{i} detailed" for i in range(120))  # about 240 CLIP tokens, 1,900 characters


def rec(**fields: Any) -> dict[str, Any]:
    return {**MINIMAL, **fields}


# -- section 3: prompt text that real readers and writers change (each class has a mutant) --------------
# (id suffix, transformation class it catches, prompt, negative prompt or None)
TEXT_CASES: list[tuple[str, str, str, str | None]] = [
    ("unnormalized", "Unicode NFC normalisation", "Poke\u0301mon, cafe\u0301", "\u212b ngstro\u0308m, \u00e9"),
    ("compatibility", "Unicode NFKC normalisation (ligatures, fullwidth, superscripts)",
     "\ufb01ne art, \uff46\uff55\uff4c\uff4c width, x\u00b2, \u2460", None),
    ("edge-whitespace", "trimming of leading and trailing whitespace", "  a cat on a mat \n", " blurry "),
    ("inner-whitespace", "collapsing runs of whitespace (spaces, tabs, no-break and ideographic spaces)",
     "a  cat,\t\tsitting\u00a0on\u3000a   mat", "low  quality"),
    ("line-endings", "line-ending conversion (CR LF, CR, U+2028, U+2029)", "line one\r\nline two\rline three\n",
     "para\u2028line\u2029end"),
    ("bom", "stripping a leading byte-order mark", "\ufeffa cat", "\ufeff"),
    ("letter-case", "lowercasing or case folding", "Masterpiece, BEST Quality, DSLR photo of a Cat", "Blurry"),
    ("quotes", "smart-quote conversion (straight to curly or back)",
     "a sign that says \"hello\", it's \u201ccurly\u201d and \u2018single\u2019 \u00abguillemets\u00bb", "'x'"),
    ("invisible", "removing zero-width and invisible characters",
     "a\u200bcat\u200c \u2060word\u00adsoft \U0001f468\u200d\U0001f469", "\u200b"),
    ("escapes", "prompt-syntax escape handling of \\( \\) \\: and backslashes",
     "(masterpiece:1.2), \\(artist\\) a\\:b [c] {d|e} \\\\ \\n not a newline \\u00e9", "\\(bad\\)"),
    ("astral", "UTF-16 surrogate handling of characters beyond U+FFFF (and lengths counted in characters)",
     "\U0001d538\U0001d540 art \U0001f408\u200d\u2b1b \U00020000\U00020001", "\U0001f642 \u00e9"),
    ("long-tags", "truncation at 75/77 CLIP tokens or a character count", TAGS, None),
    ("controls", "removing control characters (BEL, ESC, DEL, C1 NEL)", "bell\x07 esc\x1b[0m del\x7f nel\x85 tab\t",
     "\x01"),
    ("markup", "HTML or XML escaping of text", "a <b>cat</b> & dog &amp; 'x' \"y\"", "<none>"),
    ("nul-negative", "cutting strings at a NUL character (C strings)", "a\x00", "worst\x00quality"),
    ("negative-space", "treating a whitespace-only negative prompt as empty or absent", "a cat", " "),
]


def add_text_cases(b) -> None:
    for slug, what, prompt, negative in TEXT_CASES:
        record = rec(prompt=prompt, negative_prompt=negative) if negative is not None else rec(prompt=prompt)
        b.valid(f"valid-text-{slug}", f"Prompt text that {what} would change; stored and decoded byte for byte.",
                ["utf8", "text-none", "text-transform"] + (["negative-prompt"] if negative is not None else []), record)


# -- section 2: zlib read leniently (spec 7, compressor 1) ------------------------------------------------

def _zlib(level: int = 9, wbits: int = 15, zdict: bytes | None = None) -> bytes:
    coder = zlib.compressobj(level, zlib.DEFLATED, wbits, **({"zdict": zdict} if zdict else {}))
    return coder.compress(ZLIB_PAYLOAD) + coder.flush()


ZLIB_VARIANTS: list[tuple[str, bytes, str]] = [
    ("level-1", _zlib(1), "zlib level 1 output"),
    ("stored", _zlib(0), "a stored (level 0) zlib stream"),
    ("window-1k", _zlib(9, 10), "a level-9 stream with a 1 KiB window (header 28 CF)"),
]


def add_zlib_cases(b) -> None:
    for slug, block, what in ZLIB_VARIANTS:
        s = b.cut("valid-text-zlib")
        s.replace_sized("text", block, what)
        b.valid_bytes(f"valid-text-zlib-{slug}", f"A zlib text block that is {what}: since 1.1 any RFC 1950 stream of the "
                      "payload is valid (parse level only: a writer re-encodes it with its own deflate).",
                      ["text-zlib", "v1.1"], s.done(), reencodes=False)
    s = b.cut("valid-text-zlib")
    at = s.replace_sized("text", _zlib(zdict=b"astronaut"), "a level-9 stream that needs a preset dictionary (FDICT)")
    b.invalid("invalid-decompress-zlib-preset-dictionary", "A zlib text block with a preset dictionary, which AIGIF never "
              "supplies.", ["text-zlib", "v1.1"], s.done(), "AIGIF_E_DECOMPRESS", at)


# -- section 2: order of checks and corruption ----------------------------------------------------------

def _extensions(count: int) -> list[dict[str, Any]]:
    return [{"type": 1000 + i, "must_understand": False, "data": ""} for i in range(count)]


def add_order_cases(b) -> None:
    T, R, X, C = "AIGIF_E_TRUNCATED", "AIGIF_E_RANGE", "AIGIF_E_EXTENSION", "AIGIF_E_CRC"
    most = limits.MAX_EXTENSION_RECORDS
    b.valid(f"valid-extension-records-{most}", f"{most} empty unknown extension records (types 1000..{999 + most}), the limit.",
            ["extension", "limit", "v1.1"], rec(extensions=_extensions(most)))
    s = b.cut(f"valid-extension-records-{most}")
    end = len(s.data)
    s.append(encode_uvarint((1000 + most) << 1) + b"\x00", f"record {most + 1}: type {1000 + most}, empty")
    b.invalid(f"invalid-limit-extension-records-{most + 1}", f"{most + 1} extension records, one above "
              "MAX_EXTENSION_RECORDS: AIGIF_E_LIMIT before the extra record is parsed.",
              ["extension", "limit", "order-of-checks", "v1.1"], s.done(), "AIGIF_E_LIMIT", end)

    unknown = first_unregistered_extension_type(b.registries[None])
    header = encode_uvarint(unknown << 1 | 1)
    s = b.cut("valid-extension-unknown").replace("ext0.header", header, f"{header.hex(' ')} (type {unknown}, must_understand 1)")
    s.cut_inside("ext0.body", 4)
    b.invalid("invalid-truncated-must-understand-body", "An unknown must-understand record whose body the file ends "
              "inside: the body is read before the type is judged, so AIGIF_E_TRUNCATED.",
              ["extension", "truncation", "order-of-checks", "v1.1"], s.done(), T, s.start("ext0.body") + 4)

    s = b.cut("valid-minimal")
    seed = s.start("seed")
    s.truncate(seed, "before seed").append(b"\x80" * limits.MAX_UVARINT_BYTES, "10 continuation bytes, then the file ends")
    b.invalid("invalid-range-uvarint-10-continuation-at-end", "A seed of 10 continuation bytes at the end of the file: the "
              "10-byte check is made when the 10th byte is read, so AIGIF_E_RANGE, not AIGIF_E_TRUNCATED.",
              ["uvarint", "order-of-checks", "v1.1"], s.done(), R, seed)

    s = b.cut("valid-platform-all")
    at = s.start("platform.torch_version")
    s.replace("platform.torch_version", encode_uvarint(70000), "the first component 70000 only")
    s.truncate(at + len(encode_uvarint(70000)), "after the first version component")
    b.invalid("invalid-range-version-component-then-cut", "A version whose first component is 70000, then the file ends: "
              "each component is checked when read, so AIGIF_E_RANGE.", ["platform", "version", "order-of-checks", "v1.1"],
              s.done(), R, at)

    b.valid("valid-platform-batch-index-alone", "platform.batch_index 0 without batch_size (default 1).",
            ["platform", "v1.1"], rec(platform={"batch_index": 0}))
    s = b.cut("valid-platform-batch-index-alone").replace("platform.batch_index", b"\x01", "01 (batch_index 1)")
    b.invalid("invalid-range-batch-index-default-size", "platform.batch_index 1 without batch_size: checked against the "
              "default batch size 1.", ["platform", "range", "v1.1"], s.done(), R, None)

    s = b.cut("valid-pixels-png")
    body = bytes(s.data[slice(*s.at("ext0.body"))])
    at = s.replace_sized("ext0", body[:21], "the pixel compressor and the first 20 PNG bytes (signature, half an IHDR)")
    b.invalid("invalid-extension-png-short", "PNG data of 20 bytes, shorter than its signature and IHDR.",
              ["extension", "pixels", "png", "v1.1"], s.done(), X, at)

    s = b.cut("valid-pixels-jxl")
    start = s.start("ext0.body") + 3  # compressor code, FF 0A: the SizeHeader's first two bytes
    s.replace((start, start + 2), b"\xc1\x41", "c1 41 (small, height 8, ratio 7 = 2:1, then bits that read as width 8)")
    b.invalid("invalid-extension-jxl-ratio", "A JPEG XL SizeHeader with ratio 7 (width = 2 x height = 16) for an 8x8 record; "
              "a reader that ignores the ratio reads the next bits as width 8 and wrongly accepts.",
              ["extension", "pixels", "jxl", "v1.1"], s.done(), X, s.start("ext0.body"))

    s = b.cut("valid-pixel-digest")
    body = bytes(s.data[slice(*s.at("ext0.body"))])
    at = s.replace_sized("ext0", b"\x01" + body[1:-1], "algorithm 1 and 95 digest bytes")
    b.invalid("invalid-unknown-digest-algorithm-short", "Digest algorithm 1 (unknown) with 95 bytes: the code is checked "
              "before the data, so AIGIF_E_UNKNOWN_CODE.", ["pixel-digest", "extension", "order-of-checks", "v1.1"],
              s.done(), "AIGIF_E_UNKNOWN_CODE", at)

    # Damage (CRC left stale): reported as AIGIF_E_CRC, never as a code that blames the writer; truncation stays precise.
    damaged: list[tuple[str, str, Callable[[Any], Any], str, str]] = [
        ("invalid-crc-damaged-text-compressor", "valid-minimal", lambda s: s.replace("text_compressor", b"\x03", "03"),
         "the text compressor byte damaged to 03 (unknown)", C),
        ("invalid-crc-damaged-seed-overlong", "valid-table1-example", lambda s: s.replace(
            (s.at("seed")[1] - 1, s.at("seed")[1]), b"\x00", "00 (the seed's last byte: now over-long)"),
         "the seed's last byte damaged to 00 (an over-long uvarint)", C),
        ("invalid-crc-damaged-float-form", "valid-minimal", lambda s: s.replace("guidance_scale", b"\x03", "03"),
         "the guidance byte damaged to 03 (a reserved float form)", C),
        ("invalid-truncated-cut-stale-crc", "valid-table1-example", lambda s: s.cut_inside("seed", 2),
         "the file cut inside the seed, its CRC left as it was", T),
        ("invalid-truncated-damaged-extension-length", "valid-extension-unknown",
         lambda s: s.replace("ext0.length", b"\x7f", "7f (127: past the end of the file)"),
         "an extension length damaged to 127, beyond the end of the file", T),
    ]
    for case_id, source, edit, what, error in damaged:
        s = b.cut(source)
        edit(s)
        data, how = s.keep_crc("the damage").done()
        offset = 5 if error == C else len(data)
        b.invalid(case_id, f"A file with {what}, CRC not updated: the CRC decides before every syntax error except "
                  "truncation.", ["crc", "order-of-checks", "v1.1"], (data, how), error, offset)


def add_cases(b) -> None:
    """Every case of this module (called by vectors/generate_syntax.py after its own cases)."""
    add_text_cases(b)
    add_zlib_cases(b)
    add_order_cases(b)
