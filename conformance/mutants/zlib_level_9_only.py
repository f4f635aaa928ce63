"""Reads zlib text blocks as AIGIF 1.0 did: only reference zlib's level-9 stream."""
import zlib

from aigif_ref.codecs import text
from aigif_ref.errors import AigifError
from conformance.mutants.base import Mutant


class ZlibLevel9Only(Mutant):
    flaw = "rejects zlib text blocks other than reference zlib's level-9 stream (the 1.0 rule a 1.1 reader drops)"

    def install(self) -> None:
        encode, decode = text.CODECS[text.ZLIB_CODE]

        def strict(block: bytes, n_strings: int):
            strings = decode(block, n_strings)
            if zlib.compress(zlib.decompress(block), 9) != block:
                raise AigifError("AIGIF_E_NONCANONICAL", "zlib text block differs from the level-9 stream")
            return strings

        text.CODECS[text.ZLIB_CODE] = (encode, strict)
