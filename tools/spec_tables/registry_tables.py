"""Tables read off registry.json and the extension types."""
from __future__ import annotations

import json
from typing import Any

from aigif_ref.codecs.text import CODECS
from aigif_ref.extensions import DECODED, TYPES, PixelDigest, Pixels, UnknownExtension
from aigif_ref.grammar.fields import GROUPS
from aigif_ref.record import TOP_LEVEL_ENUMS
from tools.spec_tables.common import REG, table


def _enum_users() -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for name, enum in TOP_LEVEL_ENUMS.items():
        users.setdefault(enum, []).append(f"`{name}`")
    for group, specs in GROUPS.items():
        for spec in specs:
            if spec.enum:
                users.setdefault(spec.enum, []).append(f"`{group}.{spec.name}`")
    for kind in TYPES.values():
        for enum in kind.enums.values():
            users.setdefault(enum, []).append(f"{kind.name.replace('_', ' ')} extension (type {kind.code})")
    users.setdefault("extension_types", []).append("extension record header")
    return users


def gen_text_compressors() -> str:
    rows = [(e["code"], e["name"], "yes" if e["code"] in CODECS else "no", e.get("model_file", "—"))
            for e in REG.data["enumerations"]["text_compressors"]]
    return table(["code", "name", "reference codec", "model file"], rows)


def gen_extension_types() -> str:
    from aigif_ref.grammar.versions import V1_0

    rows = []
    for e in REG.data["enumerations"]["extension_types"]:
        codec = DECODED.get(e["code"])
        since = str(codec.since) if codec else "—"
        if e["code"] == 0:
            reader = "never valid (`AIGIF_E_RESERVED`)"
        elif codec and codec.since == V1_0:
            reader = "decoded and checked"
        elif e["must_understand"]:
            reader = "unknown: rejects the file (`AIGIF_E_MUST_UNDERSTAND`)"
        else:
            reader = "unknown: keeps the bytes"
        rows.append((e["code"], e["name"], "1" if e["must_understand"] else "0", e["status"], since, reader))
    return table(["type", "name", "must_understand", "status", "since", "v1.0 reader"], rows)


def gen_pixel_compressors() -> str:
    rule = {code: what for code, (_, what) in Pixels.PAYLOADS.items()}
    return table(["code", "name", "media type", "data"],
                 [(e["code"], e["name"], e.get("media_type", ""), rule.get(e["code"], "—"))
                  for e in REG.data["enumerations"]["pixel_compressors"]])


def gen_digest_algorithms() -> str:
    sizes = PixelDigest.DIGEST_BYTES
    return table(["code", "name", "digest bytes"],
                 [(e["code"], e["name"], sizes.get(e["code"], "—"))
                  for e in REG.data["enumerations"]["digest_algorithms"]])


def gen_registry_summary() -> str:
    d = REG.data
    ids = d["test_model_ids"]
    rows = [("registry_version", d["registry_version"]), ("spec_version", d["spec_version"]),
            ("test model IDs", f"{ids['first']}..{ids['last']}"),
            ("unknown model IDs (never assigned)", f"{d['unknown_model_ids']['first']}..{d['unknown_model_ids']['last']}"),
            ("families", len(d["families"])),
            ("models", len(d["models"])), ("enumerations", len(d["enumerations"]))]
    return table(["key", "value"], rows)


def gen_families() -> str:
    return table(["name", "title", "diffusers pipeline", "params (bits of the params group)"],
                 [(f"`{f['name']}`", f["title"], f["pipeline"], ", ".join(f"`{p}`" for p in f["params"]))
                  for f in REG.data["families"]])


def gen_models() -> str:
    rows = []
    for m in sorted(REG.data["models"], key=lambda m: m["id"]):
        src = m["source"]
        where = f"embedded: `{src['embedded']}`" if "embedded" in src else src["hf_repo"] or "—"
        revision = "—" if "embedded" in src else src["revision"] or "not pinned"
        extra = ", ".join(f"{k}: {v}" for k, v in src.items() if k not in ("hf_repo", "revision", "embedded"))
        rows.append((m["id"], f"`{m['name']}`", m["family"], m["status"], where, revision, extra or "—", len(m["files"])))
    return table(["ID", "name", "family", "status", "source", "revision", "other source keys", "pinned files"], rows)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def gen_enumerations() -> str:
    users = _enum_users()
    out = []
    for name, entries in REG.data["enumerations"].items():
        extra = sorted({k for e in entries for k in e} - {"code", "name"})
        out.append(f"### `{name}`\n\nUsed by: {', '.join(users.get(name, ['(nothing in v1)']))}.\n")
        rows = [[e["code"], e["name"]] + [_plain(e[k]) if k in e else "" for k in extra] for e in entries]
        out.append(table(["code", "name", *extra], rows))
    return "\n".join(out)


def gen_extension_json_forms() -> str:
    """The JSON form of each extension type, as its class declares it (aigif_ref/extensions)."""
    common = {"type": "the extension type code (integer)", "must_understand": "boolean; the header's flag"}
    rows = []
    for code, kind in sorted(TYPES.items()):
        if not kind.defined:
            continue
        for field, what in {**common, **kind.json_form}.items():
            rows.append((code, kind.name, f"`{field}`", what))
    rows += [("any other", UnknownExtension.name, f"`{field}`", what) for field, what in {**common, **UnknownExtension.json_form}.items()]
    return table(["type", "name", "JSON key", "holds"], rows)


def gen_structured_extension_bodies() -> str:
    """Each slot-declared extension body (aigif_ref/extensions/slots.py), field by field in wire order."""
    from aigif_ref.extensions import SlotExtension

    rows = []
    for code, kind in sorted(TYPES.items()):
        if isinstance(kind, type) and issubclass(kind, SlotExtension):
            mu = "must-understand" if kind.must_understand else "not must-understand"
            rows += [(code, f"{kind.name} ({mu})", f"`{field}`", wire, what) for field, wire, what in kind.body_rows()]
    return table(["type", "name", "field", "wire form", "holds"], rows)
