"""Load a pipeline from a single-file checkpoint named by content hash (extension type 4, model_file).

The core model_id names a registry model of the same family; its verified, staged folder is the
``config=`` diffusers' ``from_single_file`` reads (component configs, tokenizer, scheduler), so nothing
is fetched from a hub. The checkpoint comes from the user overlay, sha256 checked just before loading.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from aigif_ref.console import DEBUG_HINT
from aigif_ref.errors import AigifError
from aigif_ref.record import find_extension

MODEL_FILE_TYPE = 4  # registry.json extension_types "model_file"


def model_file_key(record: dict[str, Any]) -> tuple:
    ext = find_extension(record, MODEL_FILE_TYPE)
    return () if ext is None else (ext["hash_algorithm"], ext["digest"])


def load_single_file(cls: type, record: dict[str, Any], config_folder: Path, dtype: Any, kwargs: dict[str, Any]) -> Any | None:
    """The pipeline from the record's model file, or None when the record names none."""
    from aigif_ref.user_models import find

    ext = find_extension(record, MODEL_FILE_TYPE)
    if ext is None:
        return None
    found = find(ext["hash_algorithm"], ext["digest"])
    try:
        return cls.from_single_file(str(found.path), config=str(config_folder), local_files_only=True, torch_dtype=dtype,
                                    **kwargs)
    except Exception as exc:  # not a checkpoint of this family, a layout diffusers does not know
        raise AigifError("AIGIF_E_MODEL", f"checkpoint {found.path} (sha256 {found.sha256}) does not load as "
                                          f"{cls.__name__} with the configuration of model {record['model_id']}: it is "
                                          f"damaged or a checkpoint of another model family ({DEBUG_HINT})") from exc
