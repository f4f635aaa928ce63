"""The reference implementation (aigif_ref) behind the conformance contract."""
