#!/bin/sh
# Pack Ray (and the few packages it needs that the GPU machine lacks) for a machine without network, small enough
# to travel with a 64 MiB working-tree limit: benchmarks/bench_ray.py needs `ray[data]` there.
#
#   sh benchmarks/carry_ray.sh [DEST]        # default DEST: .carry/ray
#
# Writes DEST/ray-site-cp312.tar.xz: a site-packages folder (Ray for CPython 3.12 on x86-64 Linux, plus
# jsonschema and its dependencies), ready to unpack and put on PYTHONPATH:
#
#   mkdir -p /tmp/site && tar xJf DEST/ray-site-cp312.tar.xz -C /tmp/site && export PYTHONPATH=/tmp/site
#
# The Ray wheel is about 79 MB; what a local Ray Data run never loads is left out (the dashboard's web client,
# RLlib, Serve, the LLM library, the Java jars, tests), which with xz makes about 29 MB. Ray's other dependencies
# (click, filelock, msgpack, packaging, protobuf, pyyaml, requests, aiohttp and its helpers; numpy, pandas,
# pyarrow, fsspec for Ray Data) are already on the machine (/work/.library/device/KINDS.md lists its packages).
# Versions are pinned here so that the archive is the same each time.
set -eu
RAY_VERSION=2.60.0  # the version the benchmark ran with; pyproject's ray extra asks for >= 2.40
EXTRA="jsonschema==4.26.0 jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1"
DEST=${1:-.carry/ray}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
    -d "$WORK/wheels" "ray==$RAY_VERSION" $EXTRA
mkdir -p "$WORK/site"
for wheel in "$WORK"/wheels/*.whl; do  # pure and platlib wheels without .data folders: unzipping is installing
    unzip -q -o "$wheel" -d "$WORK/site"  # unzip keeps the executable bits of Ray's raylet and gcs_server
done
cd "$WORK/site"
rm -rf ray/jars ray/rllib ray/serve ray/llm ray/dashboard/client ray/tests
find . -path '*/tests' -prune -exec rm -rf {} + -o -name __pycache__ -prune -exec rm -rf {} +
cd - >/dev/null
mkdir -p "$DEST"
tar cJf "$DEST/ray-site-cp312.tar.xz" -C "$WORK/site" .
ls -l "$DEST/ray-site-cp312.tar.xz"
