"""Implementations the suite runs through the command-line contract (spec/conformance.md).

Each is a program of its own (`python3 -m conformance.impls.<name> parse FILE`);
adapter_cli.py is the contract's command line, shared by the Python adapters.
"""
