"""The `aigif` command's inputs and outputs: what JSON it reads, what files it writes, how it ends.

Each test is one defect class of issue 9: records the schema accepts must encode (or be refused with a
code), outputs respect the umask and never replace what is not a regular file, interrupted runs leave
no temporary files, a closed stdout pipe ends quietly.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aigif_ref import api
from aigif_ref.api import decode, encode
from aigif_ref.cli import main
from aigif_ref.errors import AigifError
from aigif_ref.record import RECORD_SCHEMA, _record_validator, dumps
from tests.conftest import typical_record

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(RECORD_SCHEMA.read_text(encoding="utf-8"))
from vectors.syntax_gen.valid_cases import first_unregistered_extension_type
from aigif_ref.registry import default_registry as _registry

UNKNOWN_TYPE = first_unregistered_extension_type(_registry())


def run(*args: str, stdin: bytes | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aigif_ref", *args], capture_output=True, input=stdin, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, **kwargs)


def _integer_places(schema: dict, path: tuple = (), shape: dict | None = None) -> dict[tuple, tuple[dict, dict | None]]:
    """Every place in the record schema where a JSON integer goes ("*" stands for an array index), with its
    integer schema and, inside an extension, the per-type shape (the anyOf branch with a "type" const) it sits in."""
    found: dict[tuple, tuple[dict, dict | None]] = {}
    if schema.get("type") == "integer":
        found.setdefault(path, (schema, shape))
    for branch in schema.get("anyOf", []):
        typed = "const" in branch.get("properties", {}).get("type", {})
        found.update({k: v for k, v in _integer_places(branch, path, branch if typed else shape).items() if k not in found})
    for name, sub in schema.get("properties", {}).items():
        found.update({k: v for k, v in _integer_places(sub, (*path, name), shape).items() if k not in found})
    if isinstance(schema.get("items"), dict):
        found.update({k: v for k, v in _integer_places(schema["items"], (*path, "*"), shape).items() if k not in found})
    return found


def _example(schema: dict):
    """The smallest value a schema accepts (required members only): a per-type extension to put a value into."""
    if "const" in schema:
        return schema["const"]
    if "anyOf" in schema:
        return _example(schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _example(props.get(name, {})) for name in schema.get("required", [])}
    if kind == "array":
        return [_example(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "number":  # a fraction's upper bound is the one value an open-below range surely holds
        return schema.get("maximum", schema.get("minimum", 0))
    if kind == "integer":
        return max(schema.get("minimum", 0), schema.get("exclusiveMinimum", -1) + 1, 0)
    if kind == "boolean":
        return False
    return "00" if "pattern" in schema else "x"  # strings: hex digests match "00"


INTEGER_PLACES = _integer_places(SCHEMA)


def _with_value(record: dict, path: tuple, value) -> dict:
    """A copy of record with value at path (creating groups, one-element lists of two-integer pairs; an
    extension is the smallest one of the type whose shape holds the field)."""
    record = json.loads(json.dumps(record))
    shape = INTEGER_PLACES[path][1]
    node = record
    for key, nxt in zip(path, path[1:]):
        if key == "*":
            key = 0
        if isinstance(node, list):
            node = node[key]
            continue
        node = node.setdefault(key, [] if nxt == "*" else {})
        if nxt == "*" and not node:
            if path[0] == "extensions" and node is record.get("extensions"):
                node.append(_example(shape) if shape is not None else {"type": UNKNOWN_TYPE, "data": ""})
            else:
                node.append(0)
    last = path[-1]
    if last == "*":
        node[:] = [value, value]
    else:
        node[last] = value
    return record


@pytest.mark.parametrize("path", sorted(INTEGER_PLACES), ids=lambda p: "/".join(p))
def test_every_integer_field_accepts_an_integral_float_as_the_schema_does(path):
    """JSON Schema's "integer" accepts 490.0: the encoder must treat it exactly as 490 (no traceback)."""
    node = INTEGER_PLACES[path][0]
    value = max(node.get("minimum", 0), node.get("multipleOf", 1), 1)
    if path[-1] == "type" and INTEGER_PLACES[path][1] is None and path[0] == "extensions":
        value = UNKNOWN_TYPE  # an extension's own type: one the registry leaves free (its body is opaque data)
    as_int = _with_value(typical_record(), path, value)
    as_float = _with_value(typical_record(), path, float(value))
    assert _record_validator().is_valid(as_float) == _record_validator().is_valid(as_int)
    try:
        expected = encode(as_int)
    except AigifError as exc:  # some fields need others (a pair, a batch): then both must fail the same way
        with pytest.raises(AigifError) as got:
            encode(as_float)
        assert got.value.code == exc.code
        return
    assert encode(as_float) == expected


def test_the_issue_instances_encode(tmp_path):
    src = tmp_path / "r.json"
    src.write_text('{"model_id": 490.0, "prompt": "x", "height": 64.0, "width": 64, "seed": 12345678901234567.0,'
                   ' "steps": 4, "guidance_scale": 7.0, "extensions": [{"type": %d.0, "data": ""}]}' % UNKNOWN_TYPE)
    out = tmp_path / "r.aigif"
    result = run("encode", str(src), "-o", str(out))
    assert result.returncode == 0, result.stderr
    record = decode(out.read_bytes())
    # The seed is read from the decimal text, not through a float (which would give ...568).
    assert record["model_id"] == 490 and record["seed"] == 12345678901234567 and record["extensions"][0]["type"] == UNKNOWN_TYPE


@pytest.mark.parametrize("field", ["prompt", "negative_prompt"])
def test_unpaired_surrogate_is_refused_by_code_and_schema_alike(tmp_path, field):
    src = tmp_path / "r.json"
    src.write_text(json.dumps(typical_record(**{field: "a\ud800b"})))  # json.dumps writes the \ud800 escape
    result = run("encode", str(src), "-o", str(tmp_path / "r.aigif"))
    assert result.returncode == 1
    assert b"AIGIF_E_RECORD" in result.stderr and f"/{field}".encode() in result.stderr
    assert b"Traceback" not in result.stderr and not (tmp_path / "r.aigif").exists()
    assert not _record_validator().is_valid(typical_record(**{field: "a\ud800b"}))
    assert _record_validator().is_valid(typical_record(**{field: "a\U0001F98A b"}))  # a real pair is fine


def test_every_schema_error_is_reported_with_its_json_pointer():
    record = typical_record(steps=0, height=7, params={"clip_skip": "x"}, extensions=[{"type": 0, "data": ""}])
    with pytest.raises(AigifError) as got:
        encode(record)
    message = got.value.message
    for pointer in ("/steps", "/height", "/params/clip_skip", "/extensions/0/type"):
        assert pointer + ":" in message, message
    assert message.startswith("5 schema error(s)")  # height breaks two rules


def test_unknown_model_name_suggests_the_nearest(registry):
    name = next(m["name"] for m in registry.models.values() if "-" in m["name"])
    typo = name.replace("-", "_", 1)
    with pytest.raises(AigifError) as got:
        encode(typical_record(model_id=typo))
    assert got.value.code == "AIGIF_E_UNKNOWN_CODE" and f"did you mean {name!r}" in got.value.message


def test_byte_order_mark_and_standard_input(tmp_path):
    text = json.dumps(typical_record())
    src = tmp_path / "bom.json"
    src.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert main(["encode", str(src), "-o", str(tmp_path / "bom.aigif")]) == 0
    piped = run("encode", "-", "-o", "-", stdin=text.encode())
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == (tmp_path / "bom.aigif").read_bytes() == encode(typical_record())
    lines = run("encode", "-", "--jsonl", "-o", str(tmp_path / "many/"), stdin=f"{text}\n\n{text}\n".encode())
    assert lines.returncode == 0, lines.stderr
    assert sorted(p.name for p in (tmp_path / "many").iterdir()) == ["000001.aigif", "000003.aigif"]


# --- output files ---------------------------------------------------------------------------------------

@pytest.fixture
def umask():
    def set_umask(value: int) -> None:
        os.umask(value)
    old = os.umask(0o022)
    yield set_umask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_outputs_get_the_mode_open_would_give(tmp_path, umask, mask):
    umask(mask)
    api.write_atomic(tmp_path / "new.aigif", b"x")
    assert stat.S_IMODE((tmp_path / "new.aigif").stat().st_mode) == 0o666 & ~mask


def test_a_replaced_output_keeps_its_mode(tmp_path, umask):
    umask(0o077)
    target = tmp_path / "old.aigif"
    target.write_bytes(b"old")
    target.chmod(0o644)
    api.write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o644


def test_non_regular_outputs_are_refused_and_left_alone(tmp_path, capsys):
    src = tmp_path / "r.json"
    src.write_text(json.dumps(typical_record()))
    fifo = tmp_path / "fifo.aigif"
    os.mkfifo(fifo)
    elsewhere = tmp_path / "elsewhere.aigif"
    elsewhere.write_bytes(b"keep")
    link = tmp_path / "link.aigif"
    link.symlink_to(elsewhere)
    device_link = tmp_path / "null.aigif"
    device_link.symlink_to(os.devnull)
    for target, kind in ((fifo, "a FIFO"), (link, "a symbolic link"), (device_link, "a symbolic link")):
        assert main(["encode", str(src), "-o", str(target)]) == 1
        assert f"is {kind}" in capsys.readouterr().err
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and link.is_symlink() and device_link.is_symlink()
    assert elsewhere.read_bytes() == b"keep" and stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_output_equal_to_the_input_is_refused(tmp_path, capsys):
    src = tmp_path / "r.json"
    text = json.dumps(typical_record())
    src.write_text(text)
    alias = tmp_path / "alias.json"
    os.link(src, alias)  # the same file under another name: the check is by inode
    for output in (str(src), str(alias), str(tmp_path / "." / "r.json")):
        assert main(["encode", str(src), "-o", output]) == 1
        assert "is the input" in capsys.readouterr().err
    assert src.read_text() == text


def test_trailing_slash_means_a_folder(tmp_path):
    src = tmp_path / "r.json"
    src.write_text(json.dumps(typical_record()))
    assert main(["encode", str(src), "-o", str(tmp_path / "newdir") + "/"]) == 0
    assert (tmp_path / "newdir").is_dir() and (tmp_path / "newdir" / "r.aigif").is_file()


def test_an_interrupt_while_creating_the_temporary_file_leaves_nothing(tmp_path, monkeypatch):
    real_open = os.open

    def open_then_interrupt(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if flags & os.O_CREAT:
            os.close(fd)
            raise KeyboardInterrupt  # Ctrl-C just after the file exists, before the caller has its name or fd
        return fd

    monkeypatch.setattr(os, "open", open_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        api.write_atomic(tmp_path / "out.aigif", b"data")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_a_jsonl_encode_leaves_no_temporary_files(tmp_path):
    src = tmp_path / "many.jsonl"
    src.write_text((json.dumps(typical_record()) + "\n") * 20000)
    outdir = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "aigif_ref", "encode", str(src), "-o", str(outdir)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while not (outdir.is_dir() and any(outdir.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert b"Traceback" not in err
    assert not [p.name for p in outdir.iterdir() if not p.name.endswith(".aigif") or p.name.startswith(".")]


def test_jsonl_rerun_refuses_a_used_folder_and_names_stale_files(tmp_path, capsys):
    src = tmp_path / "many.jsonl"
    src.write_text("\n".join(json.dumps(typical_record(seed=s)) for s in range(5)) + "\n")
    outdir = tmp_path / "out"
    assert main(["encode", str(src), "-o", str(outdir)]) == 0
    assert "wrote 5 file(s)" in capsys.readouterr().out
    src.write_text("\n".join([json.dumps(typical_record(seed=9)), "{bad"]) + "\n")
    assert main(["encode", str(src), "-o", str(outdir)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert decode((outdir / "000001.aigif").read_bytes())["seed"] == 0  # refused: nothing changed
    assert main(["encode", str(src), "-o", str(outdir), "--force"]) == 1
    out, err = capsys.readouterr()
    assert "wrote 1 file(s)" in out and "no file for line(s) 2" in out
    for stale in ("000002.aigif", "000003.aigif", "000005.aigif"):
        assert stale in err  # the bad line's old file is named as stale, not passed off as this run's
    assert decode((outdir / "000001.aigif").read_bytes())["seed"] == 9


# --- standard output -------------------------------------------------------------------------------------

def _closed_pipe_run(argv: list[str]) -> subprocess.CompletedProcess:
    """Run with stdout a pipe whose reader has gone (as `... | head` after head exits)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", *argv], stdout=write, stderr=subprocess.PIPE, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    finally:
        os.close(write)


@pytest.mark.parametrize("argv", [
    ["aigif_ref", "inspect", "--json", "examples/tiny-fox.aigif", "examples/tiny-fox.aigif"],
    ["aigif_ref", "inspect", "examples/tiny-fox.aigif"],
    ["aigif_ref", "validate", "examples/tiny-fox.aigif"],
    ["conformance", "list-levels"],
])
def test_a_closed_stdout_pipe_ends_quietly(argv):
    result = _closed_pipe_run(argv)
    assert b"Traceback" not in result.stderr and b"Exception ignored" not in result.stderr, result.stderr
    assert b"internal error" not in result.stderr
    assert result.returncode == 141


def test_inspect_json_over_several_files_names_each(tmp_path):
    one = run("inspect", "--json", "examples/tiny-fox.aigif")
    record = json.loads(one.stdout)
    assert "file" not in record  # one file: the record itself, which encodes back unchanged
    assert encode(record) == (ROOT / "examples/tiny-fox.aigif").read_bytes()
    src = tmp_path / "r.json"
    src.write_text(json.dumps(typical_record()))
    assert main(["encode", str(src), "-o", str(tmp_path / "cat.aigif")]) == 0
    many = run("inspect", "--json", "examples/tiny-fox.aigif", str(tmp_path / "cat.aigif"))
    rows = [json.loads(line) for line in many.stdout.splitlines()]
    assert [r["file"] for r in rows] == ["examples/tiny-fox.aigif", str(tmp_path / "cat.aigif")]
    assert dumps(rows[0]["record"]) == dumps(record)


def test_integral_floats_become_integers_only_where_the_schema_wants_integers():
    from aigif_ref.record import parse_json

    record = parse_json(json.dumps(typical_record(guidance_scale=-0.0, seed=-0.0, params={"eta": 1.0})), "test")
    decoded = decode(encode(record))
    assert str(decoded["guidance_scale"]) == "-0.0" and decoded["seed"] == 0 and decoded["params"]["eta"] == 1.0
