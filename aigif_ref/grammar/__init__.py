"""The AIGIF v1 bitstream grammar (construct): primitives, field tables, file layout."""
