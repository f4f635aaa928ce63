"""Importers: existing AI-generated images (PNG/JPEG/WebP with their tool's metadata) -> AIGIF records.

One module per source tool; each turns the image's metadata into a JSON record plus the list of
settings it could not represent (reported per file, and kept verbatim in extension type 9).
"""
