"""AIGIF reference implementation: grammar, registry, codecs and the `aigif` command."""
from aigif_ref.errors import AigifError

__version__ = "0.1.0"
__all__ = ["AigifError", "__version__"]
