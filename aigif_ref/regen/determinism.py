"""The torch determinism settings of the platform group: read them, and apply them for one render.

An absent field means torch's default (spec/bitstream.md 8), not whatever the calling process set,
so :func:`applied` sets every flag, runs the pipeline, and restores the caller's state. The tables
are shared with capture, which reads the same flags through :func:`current_flags`.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from aigif_ref.errors import AigifError


@dataclass(frozen=True)
class Flag:
    default: bool  # torch's default: what an absent field means
    get: Callable[[Any], bool]
    set: Callable[[Any, bool], None]


def _set_deterministic(torch: Any, value: bool) -> None:
    if value and torch.cuda.is_available():
        # cuBLAS is only deterministic with a fixed workspace; torch refuses otherwise.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(value)


FLAGS: dict[str, Flag] = {
    "matmul_tf32": Flag(False, lambda t: t.backends.cuda.matmul.allow_tf32,
                        lambda t, v: setattr(t.backends.cuda.matmul, "allow_tf32", v)),
    "cudnn_tf32": Flag(True, lambda t: t.backends.cudnn.allow_tf32,
                       lambda t, v: setattr(t.backends.cudnn, "allow_tf32", v)),
    "deterministic_algorithms": Flag(False, lambda t: t.are_deterministic_algorithms_enabled(), _set_deterministic),
    "cudnn_benchmark": Flag(False, lambda t: t.backends.cudnn.benchmark,
                            lambda t, v: setattr(t.backends.cudnn, "benchmark", v)),
}

# attention_backends registry name -> (torch SDPBackend member, torch.backends.cuda "enabled" query,
# has a CPU kernel). "sdpa" (torch picks) and "xformers" (diffusers processors) are handled apart.
SDPA_BACKENDS: dict[str, tuple[str, str, bool]] = {
    "math": ("MATH", "math_sdp_enabled", True),
    "flash": ("FLASH_ATTENTION", "flash_sdp_enabled", True),
    "efficient": ("EFFICIENT_ATTENTION", "mem_efficient_sdp_enabled", False),
    "cudnn": ("CUDNN_ATTENTION", "cudnn_sdp_enabled", False),
}


def current_flags(torch: Any) -> dict[str, bool]:
    return {name: bool(flag.get(torch)) for name, flag in FLAGS.items()}


def current_attention_backend(torch: Any, pipe: Any = None) -> str | None:
    """The registry name of the attention backend in force, or None if it is a mix v1 cannot name."""
    if pipe is not None and any("XFormers" in type(p).__name__ for p in _processors(pipe)):
        return "xformers"
    enabled = [name for name, (_, query, _) in SDPA_BACKENDS.items() if getattr(torch.backends.cuda, query)()]
    if len(enabled) == len(SDPA_BACKENDS):
        return "sdpa"
    return enabled[0] if len(enabled) == 1 else None


def _processors(pipe: Any) -> list[Any]:
    found = []
    for name in ("unet", "transformer"):
        model = getattr(pipe, name, None)
        if model is not None and hasattr(model, "attn_processors"):
            found += list(model.attn_processors.values())
    return found


@contextlib.contextmanager
def applied(torch: Any, platform: dict[str, Any], attention: str | None, device: str, pipe: Any) -> Iterator[None]:
    """Apply the record's determinism settings (platform group; attention as a registry name) for one call."""
    saved = current_flags(torch)
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    threads = torch.get_num_threads()
    xformers = False
    try:
        for name, flag in FLAGS.items():
            flag.set(torch, bool(platform.get(name, flag.default)))
        if device == "cpu" and "num_threads" in platform:
            torch.set_num_threads(platform["num_threads"])
        with contextlib.ExitStack() as stack:
            if attention == "xformers":
                try:
                    pipe.enable_xformers_memory_efficient_attention()
                except Exception as exc:  # ImportError or diffusers' ValueError when xformers is missing
                    raise AigifError("AIGIF_E_DEPENDENCY", "the file was made with xformers attention, which this "
                                                           "installation cannot enable: install xformers (pip install "
                                                           "xformers) on a CUDA machine") from exc
                xformers = True
            elif attention in SDPA_BACKENDS and (device != "cpu" or SDPA_BACKENDS[attention][2]):
                from torch.nn.attention import SDPBackend, sdpa_kernel

                stack.enter_context(sdpa_kernel(getattr(SDPBackend, SDPA_BACKENDS[attention][0])))
            yield
    finally:
        if xformers:
            pipe.disable_xformers_memory_efficient_attention()
        for name, flag in FLAGS.items():
            if name != "deterministic_algorithms":
                flag.set(torch, saved[name])
        torch.use_deterministic_algorithms(saved["deterministic_algorithms"], warn_only=warn_only)
        torch.set_num_threads(threads)
