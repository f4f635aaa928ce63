"""Deliberately broken implementations: each is the reference with exactly one flaw.

They prove the suite catches bugs (tests/test_conformance_mutants.py runs the
runner on every one and requires it to fail, naming the expected cases). Run one
by hand through the contract:

    python3 -m conformance.mutants ignore-crc parse FILE.aigif
    aigif-conformance run --impl "python3 -m conformance.mutants ignore-crc" --level parse,build

`python3 -m conformance.mutants list` prints every mutant and its flaw.
"""
