"""How much of an image's settings an import represents: the figure the README's import section reports.

A setting is represented when the record holds it: prompt, negative prompt, seed, steps, guidance,
size, scheduler, each scheduler-config / params / platform value, the model, each adapter, each
field of each later stage, the prompt dialect. A setting the importer reported as unmapped is one
it could not represent. Coverage = represented / (represented + unmapped).
"""
from __future__ import annotations

from typing import Any

STAGE_SETTINGS = 5  # upscaler, size, steps, denoising strength, scheduler
CORE = ("prompt", "seed", "steps", "guidance_scale", "scheduler", "model_id")


def represented_settings(record: dict[str, Any]) -> int:
    count = len(CORE) + 1  # + the size (height and width together)
    count += record.get("negative_prompt") is not None
    count += sum(len(record.get(group) or {}) for group in ("scheduler_config", "params", "platform"))
    for ext in record.get("extensions") or []:
        if ext["type"] == 5:
            count += len(ext["adapters"])
        elif ext["type"] == 6:
            count += STAGE_SETTINGS * len(ext["stages"])
        elif ext["type"] == 7:
            count += 1
    return count


def summarize(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per tool (and "all"): files, files with every setting represented, settings coverage, bytes in and out."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        if r["status"] != "ok":
            continue
        for key in (r["tool"], "all"):
            row = out.setdefault(key, {"files": 0, "lossless_files": 0, "represented": 0, "unmapped": 0,
                                       "source_bytes": 0, "bytes": 0, "ratios": []})
            row["files"] += 1
            row["lossless_files"] += not r["unmapped"]
            row["represented"] += r["represented"]
            row["unmapped"] += len(r["unmapped"])
            row["source_bytes"] += r["source_bytes"]
            row["bytes"] += r["bytes"]
            row["ratios"].append(r["bytes"] / r["source_bytes"])
    for row in out.values():
        row["settings_coverage"] = row["represented"] / max(1, row["represented"] + row["unmapped"])
        ratios = sorted(row.pop("ratios"))
        row["median_size_ratio"] = ratios[len(ratios) // 2] if len(ratios) % 2 else sum(ratios[len(ratios) // 2 - 1:len(ratios) // 2 + 1]) / 2
    return {key: out[key] for key in sorted(out, key=lambda k: k == "all")}  # the total last
