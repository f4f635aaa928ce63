"""Readers and writers that change prompt text the way real prompt tools do (issue 8, section 3).

AIGIF stores prompts as exact UTF-8 (bitstream section 7: no normalisation, no trimming); each mutant
here applies one transformation that UIs, prompt parsers, web forms or C and JavaScript string
handling apply, to the prompt and the negative prompt, when reading and when writing. The valid
`valid-text-*` vectors (vectors/cases_v1_1.py) are the cases that catch them.
"""
from __future__ import annotations

import html
import re
import unicodedata

from aigif_ref.codecs import text as text_codecs
from aigif_ref.errors import AigifError
from aigif_ref.grammar.primitives import encode_uvarint, read_uvarint
from conformance.mutants.base import Mutant


class TextTransform(Mutant):
    """Applies `change` to both prompts of every record it reads or writes."""

    @staticmethod
    def change(text: str) -> str:
        raise NotImplementedError

    def _changed(self, record: dict) -> dict:
        out = dict(record)
        for key in ("prompt", "negative_prompt"):
            if isinstance(out.get(key), str):
                out[key] = self.change(out[key])
        return out

    def parse(self, data, registry):
        return self._changed(super().parse(data, registry))

    def build(self, record, registry):
        return super().build(self._changed(record), registry)


class Nfc(TextTransform):
    flaw = "normalises prompts to Unicode NFC (as many web forms and databases do)"
    change = staticmethod(lambda s: unicodedata.normalize("NFC", s))


class Nfkc(TextTransform):
    flaw = "normalises prompts to Unicode NFKC (ligatures, fullwidth forms, superscripts folded)"
    change = staticmethod(lambda s: unicodedata.normalize("NFKC", s))


class Trim(TextTransform):
    flaw = "trims leading and trailing whitespace"
    change = staticmethod(str.strip)


class CollapseWhitespace(TextTransform):
    flaw = "collapses runs of whitespace (tabs, no-break and ideographic spaces included) into one space"
    change = staticmethod(lambda s: re.sub(r"[ \t\u00a0\u3000]+", " ", s))


class NormaliseLineEndings(TextTransform):
    flaw = "converts CR LF, CR and Unicode line/paragraph separators to LF"
    change = staticmethod(lambda s: re.sub(r"\r\n?|[\u2028\u2029]", "\n", s))


class StripBom(TextTransform):
    flaw = "strips a leading byte-order mark (U+FEFF)"
    change = staticmethod(lambda s: s[1:] if s.startswith("\ufeff") else s)


class Lowercase(TextTransform):
    flaw = "lowercases prompts (case-insensitive prompt tools)"
    change = staticmethod(str.lower)


class SmartQuotes(TextTransform):
    flaw = "straightens curly quotes (and guillemets) into ASCII quotes"
    change = staticmethod(lambda s: s.translate(str.maketrans("\u201c\u201d\u2018\u2019\u00ab\u00bb", "\"\"''\"\"")))


class StripInvisible(TextTransform):
    flaw = "removes zero-width and invisible characters (ZWSP, ZWNJ, ZWJ, word joiner, soft hyphen, BOM)"
    change = staticmethod(lambda s: re.sub("[\u200b\u200c\u200d\u2060\u00ad\ufeff]", "", s))


class Unescape(TextTransform):
    flaw = "resolves prompt-syntax escapes: \\( \\) \\: become ( ) : and \\\\ becomes \\ (A1111-style parsing)"
    change = staticmethod(lambda s: re.sub(r"\\([():\\])", r"\1", s))


class LoneSurrogates(TextTransform):
    flaw = "mangles characters beyond U+FFFF (a UTF-16 surrogate bug: each becomes U+FFFD)"
    change = staticmethod(lambda s: "".join("\ufffd" if ord(c) > 0xFFFF else c for c in s))


class TruncateTokens(TextTransform):
    flaw = "cuts prompts after 75 tokens (CLIP's 77 minus start and end)"

    @staticmethod
    def change(text: str) -> str:
        tokens = list(re.finditer(r"\w+|[^\w\s]", text))
        return text if len(tokens) <= 75 else text[:tokens[74].end()]


class TruncateChars(TextTransform):
    flaw = "cuts prompts at 1000 characters (a text-field limit)"
    change = staticmethod(lambda s: s[:1000])


class StripControls(TextTransform):
    flaw = "removes control characters other than tab, LF and CR (BEL, ESC, DEL, C1 controls)"
    change = staticmethod(lambda s: "".join(c for c in s if c in "\t\n\r" or unicodedata.category(c) != "Cc"))


class HtmlEscape(TextTransform):
    flaw = "HTML-escapes prompts (& < > become entities) as a web template would"
    change = staticmethod(lambda s: html.escape(s, quote=False))


class NulTerminated(TextTransform):
    flaw = "treats strings as C strings: everything from the first NUL is lost"
    change = staticmethod(lambda s: s.split("\0", 1)[0])


class EmptyNegativeAsAbsent(Mutant):
    flaw = "treats an empty negative prompt as absent (`if negative_prompt:`), both ways"

    def parse(self, data, registry):
        record = super().parse(data, registry)
        return {**record, "negative_prompt": record["negative_prompt"] or None}

    def build(self, record, registry):
        return super().build({**record, "negative_prompt": record.get("negative_prompt") or None}, registry)


class AbsentNegativeAsEmpty(Mutant):
    flaw = "treats an absent negative prompt as the empty string (`negative_prompt or \"\"`), both ways"

    def parse(self, data, registry):
        record = super().parse(data, registry)
        return {**record, "negative_prompt": record["negative_prompt"] or ""}

    def build(self, record, registry):
        return super().build({**record, "negative_prompt": record.get("negative_prompt") or ""}, registry)


class BlankNegativeAsEmpty(TextTransform):
    flaw = "reduces a whitespace-only negative prompt to the empty string"

    def _changed(self, record: dict) -> dict:
        negative = record.get("negative_prompt")
        return {**record, "negative_prompt": ""} if isinstance(negative, str) and not negative.strip() else record


class CharacterLength(Mutant):
    flaw = "writes and reads the prompt length of a two-string text block in characters, not UTF-8 bytes"

    def install(self) -> None:
        encode, _ = text_codecs.CODECS[0]

        def char_encode(strings):
            if len(strings) == 1:
                return strings[0]
            return encode_uvarint(len(strings[0].decode("utf-8"))) + strings[0] + strings[1]

        def char_decode(block: bytes, n_strings: int):
            if n_strings == 1:
                return [block]
            import io

            stream = io.BytesIO(block)
            count = read_uvarint(stream, "prompt length")
            rest = block[stream.tell():].decode("utf-8", errors="surrogateescape")
            if count > len(rest):
                raise AigifError("AIGIF_E_TRUNCATED", "prompt length runs past the text block")
            return [rest[:count].encode("utf-8", errors="surrogateescape"),
                    rest[count:].encode("utf-8", errors="surrogateescape")]

        text_codecs.CODECS[0] = (char_encode, char_decode)
        text_codecs._none_encode = char_encode  # zlib wraps the same payload


TEXT_MUTANTS: dict[str, type[Mutant]] = {
    "text-nfc": Nfc,
    "text-nfkc": Nfkc,
    "text-trim": Trim,
    "text-collapse-whitespace": CollapseWhitespace,
    "text-line-endings": NormaliseLineEndings,
    "text-strip-bom": StripBom,
    "text-lowercase": Lowercase,
    "text-smart-quotes": SmartQuotes,
    "text-strip-invisible": StripInvisible,
    "text-unescape": Unescape,
    "text-lone-surrogates": LoneSurrogates,
    "text-character-length": CharacterLength,
    "text-truncate-tokens": TruncateTokens,
    "text-truncate-chars": TruncateChars,
    "text-strip-controls": StripControls,
    "text-html-escape": HtmlEscape,
    "text-nul-terminated": NulTerminated,
    "text-empty-negative-as-absent": EmptyNegativeAsAbsent,
    "text-absent-negative-as-empty": AbsentNegativeAsEmpty,
    "text-blank-negative": BlankNegativeAsEmpty,
}
