"""The user's model overlay: files named by content hash, for models and adapters no registry lists.

``aigif models add DIR|FILE`` hashes .safetensors files locally and writes one entry per file into
``$AIGIF_HOME/models.json`` (default ``~/.config/aigif/models.json``): its sha256, the A1111 short
hashes (AutoV2: the first 10 hex digits of the sha256; AutoV1: 8 hex digits of the sha256 of the
64 KiB at offset 1 MiB), its kind (checkpoint, lora, textual_inversion, vae: from the tensor names),
its absolute path and name. Entries are hash-only: they need no registry ID, and a file names them
by hash (extension types 4 and 5). Before a file is loaded its sha256 is computed again and must
equal the entry's, so an entry never loads other bytes than the ones it was made from.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from aigif_ref.errors import AigifError
from aigif_ref.inputs import open_regular
from aigif_ref.model_store import sha256_file

OVERLAY_NAME = "models.json"
HASH_NAMES = {0: "sha256", 1: "autov2", 2: "autov1"}  # registry hash_algorithms code -> entry field
KINDS = ("checkpoint", "lora", "textual_inversion", "vae")
MAX_HEADER = 100 * 1024 * 1024  # safetensors' own bound on the JSON header


def overlay_path() -> Path:
    home = os.environ.get("AIGIF_HOME")
    return (Path(home).expanduser() if home else Path("~/.config/aigif").expanduser()) / OVERLAY_NAME


def autov1(path: Path) -> str:
    """A1111's old short hash: sha256 of the 64 KiB at offset 1 MiB, first 8 hex digits."""
    with open_regular(path, "a .safetensors file") as stream:
        stream.seek(0x100000)
        return hashlib.sha256(stream.read(0x10000)).hexdigest()[:8]


def tensor_names(path: Path) -> list[str]:
    """The tensor names of a safetensors file (its header only; nothing is loaded)."""
    not_safetensors = (f"{path} is not a safetensors file (an 8-byte header length of 1..{MAX_HEADER}, then that many "
                       "bytes of JSON naming the tensors); only safetensors files are used")
    try:
        with open_regular(path, "a .safetensors file") as stream:
            size = int.from_bytes(stream.read(8), "little")
            if not 0 < size <= MAX_HEADER:
                raise AigifError("AIGIF_E_MODEL_UNSAFE", not_safetensors)
            header = json.loads(stream.read(size))
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot read {path} ({exc.strerror or 'read error'})") from exc
    except ValueError as exc:  # not JSON, or not UTF-8
        raise AigifError("AIGIF_E_MODEL_UNSAFE", not_safetensors) from exc
    if not isinstance(header, dict):
        raise AigifError("AIGIF_E_MODEL_UNSAFE", not_safetensors)
    return [k for k in header if k != "__metadata__"]


def kind_of(names: Iterable[str]) -> str:
    names = list(names)
    if any("lora" in n or n.startswith(("lora_unet_", "lora_te")) for n in names):
        return "lora"
    if any(n in ("emb_params", "clip_l", "clip_g") or n.startswith("string_to_param") for n in names):
        return "textual_inversion"
    if names and all(n.startswith(("encoder.", "decoder.", "quant_conv", "post_quant_conv", "first_stage_model.")) for n in names):
        return "vae"
    return "checkpoint"


def describe(path: Path, family: str | None = None) -> dict[str, Any]:
    path = path.resolve()
    sha = sha256_file(path)
    entry = {"sha256": sha, "autov2": sha[:10], "autov1": autov1(path), "kind": kind_of(tensor_names(path)),
             "name": path.stem, "path": str(path), "size": path.stat().st_size}
    if family:
        entry["family"] = family
    return entry


def load_overlay(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or overlay_path()
    if not path.is_file():
        return []
    fix = "fix or delete it and run `aigif models add` again"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot read the user model overlay {path} ({exc.strerror or 'read error'})") from exc
    except UnicodeDecodeError as exc:
        raise AigifError("AIGIF_E_REGISTRY", f"user model overlay {path} is not UTF-8 text; {fix}") from exc
    except json.JSONDecodeError as exc:
        raise AigifError("AIGIF_E_REGISTRY", f"user model overlay {path} is not JSON (line {exc.lineno}, column "
                                             f"{exc.colno}); {fix}") from exc
    entries = data.get("files") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "sha256" in e and "path" in e for e in entries):
        raise AigifError("AIGIF_E_REGISTRY", f"user model overlay {path} is not valid: it must be a JSON object whose "
                                             f"\"files\" is a list of objects with \"sha256\" and \"path\"; {fix}")
    return entries


def add(paths: Iterable[Path], family: str | None = None, overlay: Path | None = None) -> list[dict[str, Any]]:
    """Hash every .safetensors file under ``paths`` and record it in the overlay (replacing an entry for the same path)."""
    from aigif_ref.api import write_atomic

    overlay = overlay or overlay_path()
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.safetensors") if p.is_file())
        else:
            open_regular(path, "a .safetensors file or a folder").close()  # /dev/zero, a FIFO: refused now
            if path.suffix != ".safetensors":
                raise AigifError("AIGIF_E_IO", f"{path}: not a .safetensors file or a folder (only safetensors weights are used)")
            files.append(path)
    added = [describe(f, family) for f in files]
    entries = [e for e in load_overlay(overlay) if e["path"] not in {a["path"] for a in added}] + added
    overlay.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(overlay, (json.dumps({"files": entries}, indent=2) + "\n").encode("utf-8"))
    return added


@dataclass(frozen=True)
class FoundFile:
    path: Path
    sha256: str
    entry: dict[str, Any]


def find(hash_algorithm: int, digest: str, overlay: Path | None = None) -> FoundFile:
    """The overlay file a (hash algorithm, digest) names, its sha256 checked again now."""
    field = HASH_NAMES.get(hash_algorithm)
    if field is None:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"hash algorithm {hash_algorithm} is not known")
    matches = [e for e in load_overlay(overlay) if str(e.get(field, "")).lower() == digest]
    if not matches:
        raise AigifError("AIGIF_E_MODEL_MISSING", f"no file with {field} {digest} in {overlay or overlay_path()}; add the "
                                                  "file with `aigif models add FILE_OR_FOLDER`")
    if len({e["sha256"] for e in matches}) > 1:
        raise AigifError("AIGIF_E_MODEL_HASH", f"{field} {digest} names {len(matches)} different files in the overlay; "
                                               "a short hash cannot choose between them (keep one, or record the sha256)")
    entry = matches[0]
    path = Path(entry["path"])
    if not path.is_file():
        raise AigifError("AIGIF_E_MODEL_MISSING", f"{path} (sha256 {entry['sha256']}) is listed in the overlay but is gone")
    tensor_names(path)  # a safetensors header, or refused
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise AigifError("AIGIF_E_MODEL_HASH", f"{path} has sha256 {actual}, the overlay recorded {entry['sha256']}; the "
                                               "file changed: run `aigif models add` on it again if the change is wanted")
    return FoundFile(path, actual, entry)
