"""Every subcommand that reads a file refuses, at once and with AIGIF_E_IO, whatever is not a regular file.

/dev/zero never ends, a FIFO blocks its reader until a writer comes, a folder has no bytes: each is refused
before anything is read (a symbolic link to a regular file is still read; one to /dev/zero is refused).
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from aigif_ref.cli import main

DEV_ZERO = Path("/dev/zero")
# (subcommand words before the input, words after it): one per subcommand that takes a file.
SUBCOMMANDS = {
    "inspect": (["inspect"], []),
    "validate": (["validate"], []),
    "render": (["render", "-o", "{out}/out.png", "--device", "cpu"], []),
    "thumbnail": (["thumbnail", "-o", "{out}/out.png", "--no-render"], []),
    "export": (["export", "--a1111"], []),
    "import": (["import", "-o", "{out}/imported"], []),
    "compress": (["compress", "--diffc", "--model", "aigif-tiny-sd15", "-o", "{out}/out.aigif"], []),
    "quantize --from-gguf": (["quantize", "aigif-tiny-sd15", "-o", "{out}/out.safetensors", "--from-gguf"], []),
    "export-gguf": (["export-gguf", "-o", "{out}/out.gguf"], []),
    "models add": (["models", "add"], []),
    "encode": (["encode", "-o", "{out}/out.aigif"], []),
}
TAKES_FOLDERS = {"import", "models add", "render"}  # a folder is one of their inputs (its files are read)
BOUND_SECONDS = 20  # each refusal takes milliseconds; reading /dev/zero to the 256 MiB limit took longer


def _inputs(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link-to-zero"
    link.symlink_to(DEV_ZERO)
    folder = tmp_path / "folder"
    folder.mkdir()
    return {"/dev/zero": DEV_ZERO, "FIFO": fifo, "link to /dev/zero": link, "folder": folder}


class _TooSlow(BaseException):  # not an Exception: the CLI's last-resort handler must not catch it
    pass


def _alarm(signum, frame):
    raise _TooSlow


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_a_non_regular_input_is_refused_at_once(name: str, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("AIGIF_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    out.mkdir()
    before, after = SUBCOMMANDS[name]
    words = [w.format(out=out) for w in before]
    for kind, path in _inputs(tmp_path).items():
        if kind == "folder" and name in TAKES_FOLDERS:
            continue
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(BOUND_SECONDS)  # a FIFO that is opened blocking would wait here for ever
        start = time.monotonic()
        try:
            status = main([*words, str(path), *after])
        except _TooSlow:
            pytest.fail(f"{name} on {kind}: still reading after {BOUND_SECONDS} s")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        seconds = time.monotonic() - start
        captured = capsys.readouterr()
        err = captured.err + captured.out
        assert status != 0, f"{name} accepted {kind}"
        assert "AIGIF_E_IO" in err and "not a regular file" in err, f"{name} on {kind}: {err!r}"
        assert "Traceback" not in err
        assert seconds < 5, f"{name} on {kind} took {seconds:.1f} s to refuse"
        assert sorted(p.name for p in out.iterdir()) == [], f"{name} on {kind} wrote output"


def test_the_conformance_runner_reads_only_a_regular_output(tmp_path: Path):
    """What an implementation leaves at its output path is read only if it is a regular file: a FIFO there
    used to block the runner's open for ever, a link to /dev/zero fed it up to the vector limit."""
    from conformance.levels import _output

    inputs = _inputs(tmp_path)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(BOUND_SECONDS)
    try:
        assert {kind: _output(path) for kind, path in inputs.items()} == dict.fromkeys(inputs)
    except _TooSlow:
        pytest.fail(f"the runner still reads after {BOUND_SECONDS} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    regular = tmp_path / "out.aigif"
    regular.write_bytes(b"AIGIF")
    assert _output(regular) == b"AIGIF" and _output(tmp_path / "absent") is None


def test_compress_refuses_a_huge_image_before_decoding_it(tmp_path: Path, capsys):
    """A 30 kB PNG can declare 10000x10000 pixels (300 MB decoded): refused from its header."""
    import zlib

    from PIL import Image

    from aigif_ref.regen.platform import DEFAULT_MAX_PIXELS

    side = 10_000
    assert side * side > DEFAULT_MAX_PIXELS
    bomb = tmp_path / "bomb.png"
    Image.new("L", (1, 1)).save(bomb)  # then the same header with a large size and a tiny zlib stream of zeros
    raw = bytearray(bomb.read_bytes())
    raw[16:24] = side.to_bytes(4, "big") + side.to_bytes(4, "big")
    raw[29:33] = zlib.crc32(bytes(raw[12:29])).to_bytes(4, "big")
    bomb.write_bytes(bytes(raw))
    start = time.monotonic()
    status = main(["compress", "--diffc", "--model", "aigif-tiny-sd15", "-o", str(tmp_path / "x.aigif"), str(bomb)])
    err = capsys.readouterr().err
    assert status == 1 and "AIGIF_E_DECODER_LIMIT" in err and "10000x10000" in err, err
    assert time.monotonic() - start < 5 and not (tmp_path / "x.aigif").exists()
