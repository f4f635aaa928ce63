"""An independent reader generated from spec/aigif.ksy by the Kaitai Struct compiler (Python target)."""
