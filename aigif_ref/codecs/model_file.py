"""The JSON model files of the table-driven text coders (phrase-Huffman, tag-context): one way to read them.

A model file is data a decoder trusts, so it is read like any other input (a regular file, bounded), used
only when its sha256 is the one the registry pins, and parsed into an object whose errors say what is
wrong with the file, never the JSON parser's own words.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.inputs import read_bytes

MAX_MODEL_FILE_BYTES = 16 << 20  # the largest shipped model (tag-context-v1) is under 2 MB


def model_error(what: str, message: str) -> AigifError:
    """The error of a model file that is not what it must be (``what``: "phrase-Huffman", "tag-context")."""
    return AigifError("AIGIF_E_REGISTRY", f"{what} model: {message}")


def read_model_file(path: str | Path, what: str, sha256: str | None = None) -> bytes:
    """The bytes of a model file; with ``sha256``, only if they hash to it (the registry's pin)."""
    data = read_bytes(path, MAX_MODEL_FILE_BYTES, f"a {what} model file")
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise AigifError("AIGIF_E_REGISTRY", f"{path} does not match the sha256 in the registry; refusing to use it "
                                             "(restore the file from the release, or fix the registry's pin)")
    return data


def parse_model_json(text: str | bytes, what: str, model_format: str, version: int) -> dict[str, Any]:
    """The top-level object of a model file of ``model_format`` and ``version``; AIGIF_E_REGISTRY otherwise."""
    if len(text) > MAX_MODEL_FILE_BYTES:
        raise model_error(what, f"more than {MAX_MODEL_FILE_BYTES} bytes, larger than any model file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise model_error(what, f"not JSON (line {exc.lineno}, column {exc.colno}); the file is damaged") from exc
    except UnicodeDecodeError as exc:
        raise model_error(what, f"not UTF-8 text (byte {exc.start}); the file is damaged") from exc
    except RecursionError as exc:  # json recurses as deep as the text nests
        raise model_error(what, "JSON nested deeper than a model file is; the file is damaged") from exc
    if not isinstance(doc, dict) or doc.get("format") != model_format or type(doc.get("version")) is not int \
            or doc["version"] != version:  # 1.0 and true equal 1 in Python, but are not the integer version
        raise model_error(what, f"not a {model_format} version {version} file")
    return doc
