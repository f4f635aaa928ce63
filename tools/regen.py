"""Regenerate every generated file of the repository, in dependency order.

    python tools/regen.py            # rewrite every generated file
    python tools/regen.py --check    # regenerate in a temporary copy; exit 1 listing every stale file

Each step is one committed generator; a later step may read what an earlier one wrote (the
syntax vectors and the spec tables validate records against the record schema, the Kaitai
parser is compiled from the .ksy whose field groups come from the declarations). --check copies
the working tree (tracked and untracked, not ignored) into a temporary folder, runs every step
there and compares each step's outputs with the working tree, so a stale file is found even
when only a later step would notice it.

Not run here (each needs what a plain checkout does not have; run it by hand when its inputs change):
  vectors/generate_render.py      render goldens: torch + diffusers, minutes of CPU (tests/test_render_vectors.py checks them)
  vectors/models/build_models.py  tiny shipped models: torch + diffusers (tests/test_models_build.py checks them)
  examples/make_examples.py       examples/tiny-fox.aigif: torch + diffusers (capture)
  tools/build_phrase_model.py     spec/text/phrase-huffman-v1.json: needs the PartiPrompts CSV
  tools/build_tag_lookup_model.py spec/text/tag-lookup-v1.json: needs the clip-interrogator 0.6.0 wheel
  tools/build_tag_prefix_model.py spec/text/tag-prefix-v1.json: needs the clip-interrogator 0.6.0 wheel
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "python tools/regen.py"


@dataclass(frozen=True)
class Step:
    name: str
    script: str  # repository path of the generator, run as `python SCRIPT`
    outputs: tuple[str, ...]  # globs (repository paths) of the files the step owns
    why: str
    needs: str | None = None  # an executable the step cannot run without


STEPS: tuple[Step, ...] = (
    Step("ksy", "tools/gen_ksy.py", ("spec/aigif.ksy",),
         "field-group types of the Kaitai grammar, from aigif_ref/grammar/fields.py"),
    Step("schemas", "tools/gen_schemas.py", ("spec/schema/record.schema.json",),
         "JSON Schema of the record, from the field and extension declarations"),
    Step("kaitai", "tools/build_kaitai.py", ("spec/generated/python/*.py", "spec/generated/aigif-checks.json"),
         "Kaitai Python parser and its error-code table, compiled from spec/aigif.ksy", needs="node"),
    Step("syntax-vectors", "vectors/generate_syntax.py", ("vectors/syntax/**/*", "vectors/levels/parse.txt",
                                                           "vectors/levels/build.txt"),
         "golden syntax vectors, encoded by the reference (validates against the record schema)"),
    Step("magic", "tools/gen_magic.py", ("spec/magic/aigif.magic",),
         "file(1)/libmagic entry, from the signature, media type and extension in aigif_ref/grammar/limits.py"),
    Step("spec-tables", "tools/gen_spec_tables.py", ("spec/*.md",),
         "generated regions of spec/*.md (reads the record schema and the registry)"),
)


_NEVER_COPIED = {".git", "node_modules", "__pycache__", ".hypothesis", ".pytest_cache", "site", ".venv"}


def working_tree_files(root: Path) -> list[str]:
    """Tracked and untracked files that git does not ignore (what a commit of this tree would hold)."""
    if not (root / ".git").exists():  # a plain copy of a checkout (tests make them)
        return [p.relative_to(root).as_posix() for p in sorted(root.rglob("*"))
                if p.is_file() and not _NEVER_COPIED & set(p.relative_to(root).parts)]
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=root, capture_output=True, check=True).stdout
    return [p for p in out.decode("utf-8").split("\0") if p and (root / p).is_file()]


def copy_tree(root: Path, dest: Path) -> None:
    for rel in working_tree_files(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    node_modules = root / "tools" / "node_modules"
    if node_modules.is_dir():  # the pinned Kaitai compiler, installed once (ignored by git)
        (dest / "tools" / "node_modules").symlink_to(node_modules, target_is_directory=True)


def owned(root: Path, step: Step) -> set[str]:
    return {p.relative_to(root).as_posix() for pattern in step.outputs for p in root.glob(pattern) if p.is_file()}


def run_step(root: Path, step: Step) -> None:
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run([sys.executable, step.script], cwd=root, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"regen: step {step.name} ({step.script}) failed:\n{result.stdout}{result.stderr}")


def stale_files(root: Path, fresh: Path, step: Step) -> list[str]:
    want, have = owned(fresh, step), owned(root, step)
    report = [f"missing: {p}" for p in sorted(want - have)] + [f"not generated any more: {p}" for p in sorted(have - want)]
    report += [f"out of date: {p}" for p in sorted(want & have) if not filecmp.cmp(fresh / p, root / p, shallow=False)]
    return report


def runnable(steps: tuple[Step, ...], skip: set[str]) -> tuple[list[Step], list[str]]:
    todo, skipped = [], []
    for step in steps:
        if step.name in skip:
            skipped.append(f"{step.name} (skipped on request)")
        elif step.needs and shutil.which(step.needs) is None:
            skipped.append(f"{step.name} ({step.needs} is not installed)")
        else:
            todo.append(step)
    return todo, skipped


def check(root: Path, skip: set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(stale-file lines, skipped steps) after regenerating a copy of the tree at root."""
    todo, skipped = runnable(STEPS, skip)
    with tempfile.TemporaryDirectory(prefix="aigif-regen-") as tmp:
        fresh = Path(tmp) / "tree"
        copy_tree(root, fresh)
        for step in todo:
            run_step(fresh, step)
        report = [f"{line}  [{step.name}: {step.script}]" for step in todo for line in stale_files(root, fresh, step)]
    return report, skipped


def main(argv: list[str] | None = None) -> int:
    steps = "\n".join(f"  {i}. {s.name:<15} {s.script:<28} {s.why}" for i, s in enumerate(STEPS, 1))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=f"Steps, in order:\n{steps}\n\n" + __doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="regenerate in a temporary copy; exit 1 if anything differs")
    parser.add_argument("--skip", action="append", default=[], choices=[s.name for s in STEPS], help="leave out a step")
    args = parser.parse_args(argv)
    if args.check:
        report, skipped = check(ROOT, set(args.skip))
        for line in skipped:
            print(f"skipped: {line}")
        for line in report:
            print(line)
        if report:
            print(f"\n{len(report)} generated file(s) are stale: run `{COMMAND}` and commit the result", file=sys.stderr)
            return 1
        print("every generated file is up to date")
        return 0
    todo, skipped = runnable(STEPS, set(args.skip))
    for line in skipped:
        print(f"skipped: {line}")
    for step in todo:
        print(f"{step.name}: {step.script}")
        run_step(ROOT, step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
