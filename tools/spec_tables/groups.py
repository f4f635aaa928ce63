"""The optional field groups, the params each family accepts, and the hidden settings that change pixels."""
from __future__ import annotations

from aigif_ref.grammar.aigif import Body
from aigif_ref.grammar.fields import GROUPS, PARAMS, FieldSpec
from aigif_ref.grammar.versions import V1_0
from tools.spec_tables.common import REG, codes_summary, table


def _wire_cell(spec: FieldSpec) -> str:
    return spec.wire_type.label


def _range_cell(spec: FieldSpec) -> str:
    text = spec.wire_type.range_text(spec)
    return f"{text}: {codes_summary(spec.enum, 3)}" if spec.enum else text


# What the meaning column says where fields.py gives no doc string.
_UNDOCUMENTED = {"params": "—", "scheduler_config": "the diffusers scheduler config key of the same name", "platform": "see the text"}


def _group_table(group: str) -> str:
    specs = GROUPS[group]
    headers = ["bit", "name", "type", "range", "meaning"]
    if group == "params":
        headers.append("families")
    rows = []
    for spec in specs:
        meaning = spec.doc or _UNDOCUMENTED[group]
        if spec.since > V1_0:  # a 1.0 reader rejects the bit as reserved; the file's version byte says the version
            meaning += f" (since {spec.since})"
        row = [spec.bit, f"`{spec.name}`", _wire_cell(spec), _range_cell(spec), meaning]
        if group == "params":
            row.append(", ".join(f["name"] for f in REG.data["families"] if spec.name in f["params"]) or "(none yet)")
        rows.append(row)
    return table(headers, rows)


def gen_group_params() -> str:
    return _group_table("params")


def gen_group_scheduler_config() -> str:
    return _group_table("scheduler_config")


def gen_group_platform() -> str:
    return _group_table("platform")


def gen_family_params() -> str:
    families = REG.data["families"]
    rows = [[f"`{spec.name}`"] + ["✓" if spec.name in f["params"] else "" for f in families] for spec in PARAMS]
    out = table(["param"] + [f"`{f['name']}`" for f in families], rows)
    out += "\n" + table(["family", "diffusers pipeline", "models (ID = name)"],
                        [(f"`{f['name']}`", f["pipeline"],
                          ", ".join(f"{m['id']} = {m['name']}" for m in sorted(REG.data["models"], key=lambda m: m["id"])
                                    if m["family"] == f["name"]) or "—")
                         for f in families])
    return out


# The rows of the hidden-settings table, in order: (setting that changes pixels, field paths that record it,
# note). None: the group fields that declare this row (FieldSpec.pixels, pixels_note in aigif_ref/grammar/fields.py);
# () : not recorded in v1. A declared row missing here is added after the last group row.
HIDDEN_SETTINGS: tuple[tuple[str, tuple[str, ...] | None, str], ...] = (
    ("scheduler class and preset", ("scheduler",), "registry `schedulers` gives the diffusers class and preset config"),
    ("timestep_spacing", None, ""),
    ("use_karras_sigmas", None, ""),
    ("steps_offset", None, ""),
    ("other scheduler config keys", None, ""),
    ("eta", None, ""),
    ("clip_skip", None, ""),
    ("guidance_rescale", None, ""),
    ("guidance ≤ 1 turns classifier-free guidance off", ("guidance_scale",), "stored exactly; a decoder passes it unchanged"),
    ("VAE tiling", None, ""),
    ("VAE upcast to float32", None, ""),
    ("SDXL micro-conditioning", None, ""),
    ("SDXL refiner aesthetic score", None, ""),
    ("base/refiner hand-over", None, ""),
    ("force_zeros_for_empty_prompt: negative prompt None vs \"\"", ("negative_prompt",),
     "presence bit 0 distinguishes absent (None) from empty (\"\"); the flag itself is the model's config (model ID)"),
    ("SDXL invisible watermarker", None, ""),
    ("safety checker", None, ""),
    ("attention (SDPA) backend", None, ""),
    ("batch composition", None, ""),
    ("TF32 matmul", None, ""),
    ("cuDNN TF32 (on by default)", None, ""),
    ("cudnn.benchmark", None, ""),
    ("deterministic algorithms", None, ""),
    ("generator device (CPU and CUDA streams differ)", None, ""),
    ("CPU thread count", None, ""),
    ("library versions", None, ""),
    ("device, GPU model, CUDA build", ("device", "gpu", "cuda"), ""),
    ("weights dtype", ("dtype",), ""),
    ("T5 prompt length, true CFG (FLUX.1)", None, ""),
    ("CUBLAS_WORKSPACE_CONFIG", (), "needed for bit-exact GPU repeats"),
    ("prompt_2 / negative_prompt_2 (second text encoder)", (),
     "a decoder passes None, so diffusers uses prompt / negative prompt for both encoders"),
    ("LoRA, adapters, textual inversion", (), "merged weights need their own model ID"),
    ("VAE override", (), "the VAE is the model ID's; another VAE needs its own model ID"),
    ("model weights revision", (), "not in the file: fixed per model ID by the registry (`source.revision`, `files` sha256)"),
)


def _declared_rows() -> dict[str, tuple[list[str], str]]:
    """setting -> (field paths, note) from the group fields' declarations, in declaration order."""
    rows: dict[str, tuple[list[str], str]] = {}
    for group, specs in GROUPS.items():
        for spec in specs:
            if spec.pixels is None:
                raise SystemExit(f"gen_spec_tables: {group}.{spec.name} declares no `pixels` row (fields.py)")
            paths, note = rows.setdefault(spec.pixels, ([], ""))
            paths.append(f"{group}.{spec.name}")
            if spec.pixels_note:
                rows[spec.pixels] = (paths, spec.pixels_note)
    return rows


def hidden_setting_rows() -> list[tuple[str, tuple[str, ...], str]]:
    declared = _declared_rows()
    listed = {setting for setting, _, _ in HIDDEN_SETTINGS}
    rows: list[tuple[str, tuple[str, ...], str]] = []
    for setting, paths, note in HIDDEN_SETTINGS:
        if paths is None:
            if setting not in declared:
                raise SystemExit(f"gen_spec_tables: hidden setting {setting!r}: no field declares it any more")
            paths, note = tuple(declared[setting][0]), declared[setting][1]
        elif paths == () and not any(p == () for _, p, _ in rows):  # before the first unrecorded row only
            rows += [(s, tuple(p), n) for s, (p, n) in declared.items() if s not in listed]  # newly declared rows
        rows.append((setting, paths, note))
    return rows


def _known_paths() -> set[str]:
    paths = {m.name for m in Body.subcons} | {"prompt", "negative_prompt", "text_compressor"}
    return paths | {f"{g}.{s.name}" for g, specs in GROUPS.items() for s in specs}


def gen_hidden_settings() -> str:
    known = _known_paths()
    rows = []
    for setting, paths, note in hidden_setting_rows():
        missing = [p for p in paths if p not in known]
        if missing:
            raise SystemExit(f"gen_spec_tables: hidden setting {setting!r} names unknown field(s) {missing}")
        rows.append((setting, ", ".join(f"`{p}`" for p in paths) or "**not recorded in v1**", note))
    return table(["setting that changes pixels", "AIGIF v1 field", "note"], rows)
