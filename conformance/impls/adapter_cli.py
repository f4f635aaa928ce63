"""The contract's command line for Python adapters: argv in, JSON or files out, exit status.

An adapter supplies info/parse/build/render; this module turns them into

    info | parse [--registry R] FILE | build [--registry R] RECORD OUT | render [--registry R] --device D FILE OUT
    | dequantize --dtype T PAYLOAD OUT

printing the canonical record (parse) or writing OUT, and on a rejection printing
{"error": CODE, "message": ..., "offset": ...} on stdout with exit status 1.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Protocol, Sequence

from aigif_ref.api import read_bytes, write_atomic
from aigif_ref.errors import AigifError
from aigif_ref.quant.compressors import MAX_PAYLOAD_BYTES
from aigif_ref.record import dumps, load_json
from aigif_ref.registry import Registry, default_registry, load_registry

# A contract-level code (spec/conformance.md), not a bitstream error: the operation is not implemented.
UNSUPPORTED = "AIGIF_E_UNSUPPORTED"


class Unsupported(Exception):
    """The adapter does not implement this operation."""


class Adapter(Protocol):
    name: str
    version: str

    def devices(self) -> list[str]: ...

    def parse(self, data: bytes, registry: Registry) -> dict[str, Any]: ...

    def build(self, record: Any, registry: Registry) -> bytes: ...

    def render(self, data: bytes, out: Path, device: str, registry: Registry) -> None: ...

    # Optional (the quantized level): the payload's weights as a safetensors file; Unsupported where absent.
    # def dequantize(self, data: bytes, dtype: str) -> bytes: ...


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="AIGIF conformance contract (spec/conformance.md)")
    sub = parser.add_subparsers(dest="op", required=True)
    sub.add_parser("info")
    for op, files in (("parse", ["file"]), ("build", ["record", "out"]), ("render", ["file", "out"]),
                      ("diffc", ["file", "out"])):
        command = sub.add_parser(op)
        command.add_argument("--registry", help="registry file instead of the shipped registry.json")
        if op == "render":
            command.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
        for name in files:
            command.add_argument(name)
    command = sub.add_parser("dequantize")
    command.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32")
    command.add_argument("payload")
    command.add_argument("out")
    return parser


def _reject(code: str, message: str, offset: int | None = None) -> int:
    print(json.dumps({"error": code, "message": message, "offset": offset}, ensure_ascii=False))
    return 1


def run_adapter(adapter: Adapter, argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.op == "info":
        print(json.dumps({"name": adapter.name, "version": adapter.version, "devices": adapter.devices()}))
        return 0
    try:
        registry = load_registry(args.registry) if getattr(args, "registry", None) else default_registry()
        if args.op == "parse":
            print(dumps(adapter.parse(read_bytes(args.file), registry)))
        elif args.op == "dequantize":
            dequantize = getattr(adapter, "dequantize", None)
            if dequantize is None:
                raise Unsupported(f"{adapter.name} does not read model payloads")
            write_atomic(args.out, dequantize(read_bytes(args.payload, MAX_PAYLOAD_BYTES, "a model payload"), args.dtype))
        elif args.op == "build":
            write_atomic(args.out, adapter.build(load_json(Path(args.record)), registry))
        elif args.op == "diffc":  # optional: the exact part of a DiffC decode (spec/conformance.md, level diffc)
            diffc = getattr(adapter, "diffc", None)
            if diffc is None:
                raise Unsupported(f"{adapter.name} does not implement diffc")
            write_atomic(args.out, diffc(read_bytes(args.file), registry))
        else:
            adapter.render(read_bytes(args.file), Path(args.out), args.device, registry)
    except AigifError as exc:
        return _reject(exc.code, exc.message, exc.offset)
    except Unsupported as exc:
        return _reject(UNSUPPORTED, str(exc) or f"{adapter.name} does not implement {args.op}")
    return 0


def entry_point(adapter: Adapter) -> None:
    """For __main__ modules: run the adapter on sys.argv and exit with its status."""
    sys.exit(run_adapter(adapter))
