"""platform.cpu_capability: capture records the CPU kernels' instruction set, the renderer holds torch, oneDNN
and MKL to it before torch starts, and the forecast says exact only when the kernels in use match it.

The renders that must be bit-exact run in fresh processes (`aigif render`), because this test process has
already started torch with this machine's own kernels; in this process the forecast must say why it is not
exact instead.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aigif_ref.api import decode, read_bytes
from aigif_ref.regen.platform import (KERNEL_ENVIRONMENTS, can_hold, compare, current_cpu_capability, current_platform,
                                      hold_cpu_kernels)
from aigif_ref.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]
RENDER = ROOT / "vectors" / "render"
EXAMPLES = sorted((ROOT / "examples").glob("*.aigif"))
CPU_GOLDENS = sorted(p / "input.aigif" for p in RENDER.iterdir()
                     if (p / "test.json").is_file() and json.loads((p / "test.json").read_text())["requires"] == "cpu")
ISA_VARIABLES = sorted({v for env in KERNEL_ENVIRONMENTS.values() for v in env})


def _recorded(path: Path) -> str | None:
    registry = default_registry()
    code = decode(read_bytes(path), registry)["platform"].get("cpu_capability")
    return None if code is None else registry.enum_name("cpu_capabilities", code)


def test_every_cpu_golden_and_example_records_the_kernels_it_was_made_with():
    assert CPU_GOLDENS and EXAMPLES
    for path in CPU_GOLDENS:
        test = json.loads((path.parent / "test.json").read_text(encoding="utf-8"))
        assert _recorded(path) == test["exact_when"]["cpu_kernels"], path
        assert test["exact_when"]["environment"] == KERNEL_ENVIRONMENTS[_recorded(path)], path
    for path in EXAMPLES:
        assert _recorded(path) in KERNEL_ENVIRONMENTS, path


def test_this_process_forecast_depends_on_the_kernels_torch_started_with():
    # torch is imported (native kernels unless the caller set the variables): a golden is exact here only if the
    # kernels match; otherwise approximate, saying why and how to get the exact render.
    registry = default_registry()
    here = current_cpu_capability(torch)
    info = current_platform("cpu", registry)
    assert info.cpu_capability == here
    assert ("cpu_capability" in info.platform) == (here is not None)  # what capture records
    for path in CPU_GOLDENS:
        record = decode(read_bytes(path), registry)
        made_with = _recorded(path)
        fidelity = compare(record, info, registry)
        assert fidelity.exact == (here == made_with), (path, fidelity.reasons)
        if not fidelity.exact:
            reason = next(r for r in fidelity.reasons if "instruction set" in r)
            assert reason.startswith(f"the CPU instruction set of the kernels was {made_with}, here {here or 'mixed'}")
            if can_hold(made_with):
                assert "torch started in this process with others" in reason and "ONEDNN_MAX_CPU_ISA=" in reason
        assert hold_cpu_kernels(record, registry) is None  # torch already started: nothing can be held now


def test_hold_sets_the_variables_before_torch_starts_and_the_kernels_follow():
    isa = _recorded(CPU_GOLDENS[0])
    if not can_hold(isa):
        pytest.skip(f"this CPU cannot run {isa} kernels")
    code = ("import sys, os, json; from aigif_ref.api import decode, read_bytes; from aigif_ref.registry import default_registry; "
            "from aigif_ref.regen.platform import hold_cpu_kernels, current_cpu_capability; "
            "assert 'torch' not in sys.modules; held = hold_cpu_kernels(decode(read_bytes(sys.argv[1])), default_registry()); "
            "import torch; print(json.dumps([held, torch.backends.cpu.get_cpu_capability(), current_cpu_capability(torch), "
            f"{{k: os.environ.get(k) for k in {ISA_VARIABLES!r}}}]))")
    env = {k: v for k, v in os.environ.items() if k not in ISA_VARIABLES}
    done = subprocess.run([sys.executable, "-c", code, str(CPU_GOLDENS[0])], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    held, torch_says, current, variables = json.loads(done.stdout.splitlines()[-1])
    assert held == isa == current and torch_says.lower() == isa and variables == KERNEL_ENVIRONMENTS[isa]


def test_cli_forecast_and_verify_agree_on_every_example_and_cpu_golden(tmp_path):
    # A fresh `aigif render` process, started with none of the variables set (this machine's own kernels, AVX-512
    # here): it holds the kernels to what each file records before torch starts, says exact, and verify agrees.
    files = [*EXAMPLES, *CPU_GOLDENS]
    if not all(can_hold(_recorded(p)) for p in files):
        pytest.skip("this CPU cannot run the recorded kernels")
    env = {k: v for k, v in os.environ.items() if k not in ISA_VARIABLES}
    done = subprocess.run([sys.executable, "-m", "aigif_ref", "render", *map(str, files), "-o", f"{tmp_path}/", "--device", "cpu",
                           "--verify"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for path in files:
        lines = [line for line in done.stdout.splitlines() if line.startswith(f"{path}: ")]
        forecast = next(line for line in lines if ": fidelity: " in line)
        verdict = next(line for line in lines if ": verify: " in line)
        assert re.search(r": fidelity: exact\b", forecast), forecast
        assert ": verify: bit-exact" in verdict, verdict


def test_a_newly_declared_hidden_setting_row_appears_once():
    # cpu_capability was the first field whose row the hand list does not name: it was inserted before every
    # "not recorded" row instead of once.
    sys.path.insert(0, str(ROOT / "tools"))
    from spec_tables.groups import hidden_setting_rows

    settings = [setting for setting, _, _ in hidden_setting_rows()]
    assert len(settings) == len(set(settings)) and "CPU kernel instruction set" in settings
