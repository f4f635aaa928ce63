"""The paper's Table I (Gao, Feng et al., the AIGIF file format example), declared once.

Each row: the paper's description, type and example, its bit width where the paper gives one,
the AIGIF v1 field that stores it and how, the registry enumeration of its values and the
paper's value assignments (kept as registry codes). Read by the spec tables
(tools/spec_tables), the Table I baseline codec (benchmarks/paper_baseline.py), the
`aigif inspect` table (aigif_ref/cli.py) and the tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigif_ref.grammar.fields import GROUPS


@dataclass(frozen=True)
class TableOneRow:
    description: str  # as printed in the paper's Table I
    paper_type: str
    paper_example: str
    field: str  # AIGIF v1 field (a Body member, "extensions" or a group list)
    aigif: str  # how v1 stores it
    enum: str | None = None  # registry enumeration ("models" for model IDs)
    paper_codes: tuple[tuple[int, str], ...] = ()  # the paper's value assignments, checked against the registry
    bits: int | None = None  # the paper's width in bits (None: a string, an exp code or "Any")
    option: bool = False  # one of the packed compression options at the start of the paper's layout
    label: str = ""  # the row's name in `aigif inspect` and the baseline codec ("" = description)

    @property
    def name(self) -> str:
        return self.label or self.description

    @property
    def key(self) -> str:
        """snake_case name of the value: the AIGIF field where the row is one, else the row's name."""
        return self.field if self.field.isidentifier() and self.field not in ("extensions", "text") \
            else self.name.replace(" ", "_")


TABLE_ONE: tuple[TableOneRow, ...] = (
    TableOneRow("saving pixels", "1 bit", "0=No; 1=Yes", "extensions", "an extension record of type 1 (pixels) is present",
                bits=1, option=True),
    TableOneRow("pixel compressor", "4 bits", "0=None; 1=png", "extensions", "first exp code of the pixels record body",
                "pixel_compressors", ((0, "None"), (1, "png")), bits=4, option=True),
    TableOneRow("text compressor", "4 bits", "0=None; 1=zlib", "text", "first exp code of the text block",
                "text_compressors", ((0, "None"), (1, "zlib")), bits=4, option=True),
    TableOneRow("saving model", "1 bit", "0=No; 1=Yes", "extensions", "an extension record of type 2 (model) is present",
                bits=1, option=True),
    TableOneRow("model compressor", "4 bits", "0=None; 1=int8", "extensions", "first exp code of the model record body (spec/quantized.md)",
                "model_compressors", ((0, "None"), (1, "int8")), bits=4, option=True),
    TableOneRow("device", "4 bits", '0="CPU"; 1="GPU"', "device", "exp code, presence bit", "devices", ((0, "CPU"), (1, "GPU")),
                bits=4),
    TableOneRow("gpu", "1 byte", '1="NVIDIA GeForce GTX 1080 Ti"', "gpu", "exp code, presence bit", "gpus",
                ((1, "NVIDIA GeForce GTX 1080 Ti"),), bits=8),
    TableOneRow("cuda", "1 byte", '1="cu121"', "cuda", "exp code, presence bit", "cuda_versions", ((1, "cu121"),), bits=8),
    TableOneRow("model ID", "exp code", '0="stable-diffusion-v1-5"', "model_id", "exp code", "models",
                ((0, "stable-diffusion-v1-5"),), bits=8),
    TableOneRow("data type", "4 bits", '0="float32"; 1="float16"', "dtype", "exp code, presence bit", "dtypes",
                ((0, "float32"), (1, "float16")), bits=4),
    TableOneRow("(scheduler)", "4 bits", "0=DDIM", "scheduler", "exp code, presence bit", "schedulers", ((0, "DDIM"),),
                bits=4, label="scheduler"),
    TableOneRow("prompt", "String", '"A cute cat"', "text", "first string of the text block (UTF-8)"),
    TableOneRow("negative prompt", "String", '"worst quality"', "text", "second string of the text block; presence bit 0"),
    TableOneRow("height", "4 bytes", "1024", "height", "uvarint, units of 8 px", bits=32),
    TableOneRow("width", "4 bytes", "1024", "width", "uvarint, units of 8 px", bits=32),
    TableOneRow("seed", "4 bytes", "829557441", "seed", "uvarint, 64-bit", bits=32),
    TableOneRow("(diffusion steps)", "2 bytes", "25", "steps", "uvarint", bits=16, label="diffusion steps"),
    TableOneRow("(guidance scale)", "4 bytes", "7.5", "guidance_scale", "compact float32", bits=32, label="guidance scale"),
    TableOneRow("... (model-dependent, platform)", "Any", "...", ", ".join(GROUPS), "optional field groups (bitmap + values)"),
)

ROWS: dict[str, TableOneRow] = {row.name: row for row in TABLE_ONE}

# The paper's example, as an AIGIF record with registry names (its values are the rows' examples).
EXAMPLE_RECORD: dict[str, Any] = {
    "model_id": "stable-diffusion-v1-5", "dtype": "float16", "scheduler": "DDIM", "device": "GPU",
    "gpu": "NVIDIA GeForce GTX 1080 Ti", "cuda": "cu121", "prompt": "A cute cat", "negative_prompt": "worst quality",
    "height": 1024, "width": 1024, "seed": 829557441, "steps": 25, "guidance_scale": 7.5,
}
