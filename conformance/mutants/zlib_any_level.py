"""Accepts zlib text blocks that are not the canonical level-9 stream."""
import zlib

from aigif_ref.codecs import text
from aigif_ref.errors import AigifError
from conformance.mutants.base import Mutant


class ZlibAnyLevel(Mutant):
    flaw = "accepts any zlib stream that inflates correctly, not only the canonical level-9 one"

    def install(self) -> None:
        encode, decode = text.CODECS[1]

        def lenient(block: bytes, n_strings: int):
            try:
                return decode(block, n_strings)
            except AigifError as exc:
                if exc.code != "AIGIF_E_NONCANONICAL":
                    raise
                return text.CODECS[0][1](zlib.decompress(block), n_strings)

        text.CODECS[1] = (encode, lenient)
