"""Importers: existing AI-generated images (PNG/JPEG/WebP with their tool's metadata) -> AIGIF files.

Data flows one way: files.py reads an image (pixels, text chunks, EXIF, XMP, alpha-LSB text: stealth.py)
-> tools.py picks the importer of the tool that wrote the metadata (the one declaration of them all)
-> that tool's module (a1111, comfyui, invokeai, fooocus, novelai, swarmui, drawthings) builds a JSON
record and lists what it could not represent -> files.py adds the pixels, their digest and the verbatim
metadata (extension type 9) and encodes. common.py holds the checked reads of untrusted metadata and the
model / LoRA lookup; samplers.py each tool's sampler names. folder.py runs many files (parallel,
resumable); verify.py drops pixels a render reproduces; coverage.py counts what was represented.
"""
