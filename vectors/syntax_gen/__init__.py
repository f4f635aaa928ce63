"""The syntax-vector generator (vectors/generate_syntax.py), split by concern.

    surgery.py         where each field of a valid file lies, and one-defect edits on a copy
    cases.py           Case, the Builder that collects cases, record_of
    payloads.py        fixed payloads (pixels, PNG, JPEG XL, digests, phrase-Huffman blocks)
    registry_fixture.py  the vectors-only registry (exp-code boundary GPU codes)
    valid_cases.py     the valid cases
    invalid_cases.py   the invalid cases (one defect each, made from the valid ones)
    writer.py          verify with the reference, write the tree, compare (--check)
    vocabulary_cases.py  the cases shared by the coders of tag-context's alphabet (vectors/cases_tag_*.py)

A new family of cases is one module with `add_cases(b: Builder)` (the shipped registry is
`b.registries[None]`) named in
CASE_MODULES (below); the order of the tuple is the order the cases are built (an invalid case
is cut from a valid one, so the valid cases come first).
"""
CASE_MODULES: tuple[str, ...] = (
    "vectors.syntax_gen.valid_cases",
    "vectors.syntax_gen.invalid_cases",
    "vectors.cases_v1_1",  # spec 1.1's cases, declared in their own module
    "vectors.cases_tag_context",  # text compressor 3, tag-context-v1
    "vectors.cases_tag_lookup",  # text compressor tag-lookup-v1
    "vectors.cases_tag_prefix",  # text compressor tag-prefix-v1
    "vectors.syntax_gen.cpu_capability_cases",  # spec 1.1's platform field cpu_capability
    "vectors.syntax_gen.version_cases",  # spec 1.1's version byte, extension types 2 and 4-9
    "vectors.syntax_gen.diffc_cases",  # pixel compressor diffc (spec/diffc.md)
    "vectors.syntax_gen.stage_cases",  # refiner stages (extension type 6)
)
