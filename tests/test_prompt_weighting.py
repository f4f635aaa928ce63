"""The A1111 prompt dialect in the reference decoder (aigif_ref/regen/prompt_weighting.py, spec/reference-decoder.md).

Parser cases are A1111's own doctest examples (modules/prompt_parser.py parse_prompt_attention); chunking
follows its tokenize_line; the render golden (vectors/stages/dialect-shapes-a1111-weights, test_stages_render)
checks the whole path against a hand-written computation.
"""
from __future__ import annotations

import numpy as np
import pytest

from aigif_ref.errors import AigifError
from aigif_ref.regen import prompt_weighting as pw
from aigif_ref.registry import default_registry

DOCTESTS = [  # A1111's doctest examples of parse_prompt_attention, expected values as it prints them
    ("normal text", [["normal text", 1.0]]),
    ("an (important) word", [["an ", 1.0], ["important", 1.1], [" word", 1.0]]),
    ("(unbalanced", [["unbalanced", 1.1]]),
    ("\\(literal\\]", [["(literal]", 1.0]]),
    ("(unnecessary)(parens)", [["unnecessaryparens", 1.1]]),
    ("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
     [["a ", 1.0], ["house", 1.5730000000000004], [" ", 1.1], ["on", 1.0], [" a ", 1.1], ["hill", 0.55],
      [", sun, ", 1.1], ["sky", 1.4641000000000006], [".", 1.1]]),
]


@pytest.mark.parametrize("text,expected", DOCTESTS)
def test_parser_matches_a1111_doctests(text, expected):
    assert pw.parse_attention(text) == expected  # exact floats: the same multiplications in the same order


@pytest.mark.parametrize("text,expected", [
    ("a BREAK b", [["a", 1.0], ["BREAK", -1.0], ["b", 1.0]]),
    ("aBREAKb BREAKfast", [["aBREAKb BREAKfast", 1.0]]),  # only the whole word
    ("(a BREAK b)", [["a", 1.1], ["BREAK", -1.1], ["b", 1.1]]),  # inside brackets it is weighted text, as in A1111
    ("[word]", [["word", 1 / 1.1]]),
    ("(word:1.2)", [["word", 1.2]]),
    ("a \\\\ b", [["a \\ b", 1.0]]),
    ("stray ) and ] and :", [["stray ) and ] and :", 1.0]]),
    ("", [["", 1.0]]),
])
def test_parser_break_brackets_and_escapes(text, expected):
    assert pw.parse_attention(text) == expected


def test_a_weight_that_is_not_a_number_is_refused_with_a_code():
    with pytest.raises(AigifError) as err:
        pw.parse_attention("(a:1.2.3)")
    assert err.value.code == "AIGIF_E_RECORD"


@pytest.mark.parametrize("text,negative,refused", [
    ("a [cat:dog:0.5]", False, "prompt editing"),
    ("a [cat: 3]", False, "prompt editing"),
    ("a [cat|dog]", True, "alternation"),
    ("a cat AND a dog", False, "AND"),
    ("a cat :1.3", False, "whole-prompt weight"),
    ("a cat AND a dog", True, None),  # the negative prompt reads AND literally
    ("a cat :1.3", True, None),
    ("a cat :1", False, None),
    ("(a:1.3) [b] \\[c:2]", False, None),
    ("a [unbalanced", False, None),
])
def test_syntax_the_decoder_does_not_implement_is_found(text, negative, refused):
    found = pw.unsupported(text, negative)
    assert (found is None) if refused is None else (refused in found)


# ------------------------------------------------------------------ chunking
VOCAB = pw.Vocabulary(bos=1, eos=2, pad=2, comma=3, embeddings={50: (50, 51, 52)})
WORD = 10


def chunks_of(*runs):
    return pw.chunk_runs([[t, w] for t, w, _ in runs], [ids for _, _, ids in runs], VOCAB)


def test_75_tokens_make_one_chunk_and_76_two_each_with_bos_and_eos():
    one = chunks_of(("x", 1.0, [WORD] * 75))
    assert len(one) == 1 and one[0].tokens == [1] + [WORD] * 75 + [2]
    two = chunks_of(("x", 1.0, [WORD] * 76))
    assert [len(c.tokens) for c in two] == [77, 77]
    assert two[1].tokens == [1, WORD] + [2] * 75 and two[1].weights == [1.0] * 77
    assert chunks_of(("", 1.0, []))[0].tokens == [1] + [2] * 76  # an empty prompt is one chunk of padding


def test_weights_travel_with_their_tokens_and_padding_weighs_one():
    chunk = chunks_of(("a", 1.0, [WORD]), ("b", 1.5, [WORD + 1, WORD + 2]))[0]
    assert chunk.weights[:4] == [1.0, 1.0, 1.5, 1.5] and set(chunk.weights[4:]) == {1.0}


def test_a_full_chunk_moves_the_text_after_its_last_comma_when_within_20_tokens():
    tokens = [WORD] * 70 + [3] + [WORD + 1] * 4 + [WORD + 2] * 3  # comma at 70: 5 back from the end of the chunk
    first, second = chunks_of(("x", 1.0, tokens))
    assert first.tokens[1:72] == [WORD] * 70 + [3] and set(first.tokens[72:]) == {2}
    assert second.tokens[1:8] == [WORD + 1] * 4 + [WORD + 2] * 3


def test_a_comma_more_than_20_tokens_back_does_not_move_anything():
    tokens = [WORD] * 50 + [3] + [WORD + 1] * 30
    first, second = chunks_of(("x", 1.0, tokens))
    assert first.tokens[1:76] == tokens[:75] and second.tokens[1:7] == tokens[75:]


def test_break_starts_a_new_chunk():
    chunks = chunks_of(("a", 1.0, [WORD]), ("BREAK", -1.0, []), ("b", 1.0, [WORD + 1]))
    assert [c.tokens[1] for c in chunks] == [WORD, WORD + 1] and chunks[0].tokens[2:] == [2] * 75


def test_an_embedding_is_never_split_across_chunks():
    first, second = chunks_of(("x", 1.0, [WORD] * 73 + [50, 51, 52]))
    assert first.tokens[1:74] == [WORD] * 73 and first.tokens[74:] == [2] * 3
    assert second.tokens[1:4] == [50, 51, 52]


# ------------------------------------------------------------------ through the models
torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from tests.regen_support import record  # noqa: E402


@pytest.fixture(scope="module")
def renderer(pinned_threads):
    from aigif_ref.regen.render import Renderer

    return Renderer(device="cpu")


def a1111(rec):
    return dict(rec, extensions=[{"type": 7, "dialect": "A1111"}])


def test_a_plain_short_prompt_renders_bit_identically_in_both_dialects(renderer):
    # Under 75 tokens and without weights, A1111's encoding is diffusers' own: the same pixels.
    rec = record("sd1", prompt="a red fox, snow", negative_prompt="blurry", scheduler="DDIM")
    assert np.array_equal(renderer.render(rec).rgb, renderer.render(a1111(rec)).rgb)
    assert np.array_equal(renderer.render(rec).rgb, renderer.render(dict(rec, extensions=[{"type": 7, "dialect": "plain"}])).rgb)


def test_weights_and_long_prompts_change_the_image_only_in_the_a1111_dialect(renderer):
    shapes = dict(record("sd1", scheduler="DDIM"), model_id=492, prompt="a red circle on a white background")
    plain = renderer.render(a1111(shapes)).rgb
    weighted = renderer.render(a1111(dict(shapes, prompt="a (red:1.6) circle on a white background"))).rgb
    literal = renderer.render(dict(shapes, prompt="a (red:1.6) circle on a white background")).rgb
    assert not np.array_equal(plain, weighted) and not np.array_equal(weighted, literal)


def test_long_prompts_are_chunked_into_77_token_blocks(renderer):
    from aigif_ref.api import decode, encode

    rec = decode(encode(a1111(record("sd1", prompt=" ".join(["cat"] * 76), negative_prompt="dog"))))
    pipe = renderer.cache.get(rec, "cpu")[0].pipe
    embeds = pw.prompt_embeddings(pipe, rec)
    assert embeds["prompt_embeds"].shape[1] == 154 and embeds["negative_prompt_embeds"].shape[1] == 77
    padded, lengths = pw.pad_to_same_length(torch, embeds)
    assert lengths == (77, 154) and padded["negative_prompt_embeds"].shape[1] == 154
    assert renderer.render(rec, decoded=True).rgb.shape == (64, 64, 3)


def test_emphasis_multiplies_the_encoder_output_and_restores_its_mean(renderer):
    from aigif_ref.api import decode, encode

    rec = decode(encode(a1111(dict(record("sd1"), model_id=492, prompt="a (red:1.5) circle"))))
    pipe = renderer.cache.get(rec, "cpu")[0].pipe
    got = pw.encode_prompt(pipe, rec["prompt"], None, True)
    ids = pipe.tokenizer("a red circle", padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        plain = pipe.text_encoder(ids)[0]
    weights = torch.ones(77)
    weights[2] = 1.5  # BOS, "a", "red"
    expected = plain * weights[None, :, None]
    expected = expected * (plain.mean() / expected.mean())
    assert torch.equal(got, expected)


@pytest.mark.parametrize("dialect", ["ComfyUI", "compel"])
def test_dialects_without_an_implementation_are_refused_by_name(renderer, dialect):
    rec = dict(record("sd1"), extensions=[{"type": 7, "dialect": dialect}])
    with pytest.raises(AigifError) as err:
        renderer.render(rec)
    assert err.value.code == "AIGIF_E_PLATFORM" and dialect in err.value.message


def test_prompt_editing_and_other_families_are_refused_before_loading(renderer):
    from aigif_ref.api import decode, encode
    from aigif_ref.regen.render import refuse_unimplemented

    registry = default_registry()
    with pytest.raises(AigifError) as err:
        refuse_unimplemented(decode(encode(a1111(record("sd1", prompt="a [cat:dog:0.5]")))), registry)
    assert err.value.code == "AIGIF_E_PLATFORM" and "prompt editing" in err.value.message
    assert "flux" in pw.refusal(record("sd1"), "flux") and pw.refusal(record("sd1"), "sdxl") is None


def test_sdxl_reads_a1111_prompts_with_both_encoders_and_zeroes_an_empty_negative_prompt(renderer):
    rec = record("sdxl", prompt="a red cat", negative_prompt="blurry", scheduler="DDIM")
    assert np.array_equal(renderer.render(rec).rgb, renderer.render(a1111(rec)).rgb)
    # The web UI zeroes an empty negative prompt on SDXL: what diffusers does for an absent one.
    absent = renderer.render(dict(rec, negative_prompt=None)).rgb
    assert np.array_equal(absent, renderer.render(a1111(dict(rec, negative_prompt=""))).rgb)
    assert not np.array_equal(absent, renderer.render(dict(rec, negative_prompt="")).rgb)
    long = a1111(dict(rec, prompt=", ".join(["a red cat"] * 30), negative_prompt="blurry"))  # 154 against 77 tokens
    assert renderer.render(long).rgb.shape == (64, 64, 3)


def dialect_named_for(options: dict) -> str:
    """The registry prompt dialect whose A1111 options are ``options`` (registry data, not a copied name)."""
    return next(e["name"] for e in default_registry().enum("prompt_dialects").values() if pw.dialect_options(e) == options)


def test_no_norm_emphasis_multiplies_without_restoring_the_mean(renderer):
    from aigif_ref.api import decode, encode
    from aigif_ref.regen.render import a1111_options

    registry = default_registry()
    rec = decode(encode(dict(record("sd1"), model_id=492, prompt="a (red:1.5) circle",
                             extensions=[{"type": 7, "dialect": dialect_named_for({"emphasis": "No norm"})}])))
    assert a1111_options(rec, registry) == {"emphasis": "No norm"}
    pipe = renderer.cache.get(rec, "cpu")[0].pipe
    got = pw.prompt_embeddings(pipe, rec, "sd1", a1111_options(rec, registry))["prompt_embeds"]
    ids = pipe.tokenizer("a red circle", padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        plain = pipe.text_encoder(ids)[0]
    weights = torch.ones(77)
    weights[2] = 1.5  # BOS, "a", "red"
    assert torch.equal(got, plain * weights[None, :, None])
    normalized = pw.prompt_embeddings(pipe, rec, "sd1", {})["prompt_embeds"]
    assert not torch.equal(got, normalized)
    no_norm = renderer.render(rec, decoded=True).rgb
    original = renderer.render(dict(rec, extensions=[{"type": 7, "dialect": 1}]), decoded=True).rgb
    assert not np.array_equal(no_norm, original)


def test_pad_conds_pads_the_shorter_side_with_the_empty_prompt_and_runs_one_batch(renderer):
    from aigif_ref.api import decode, encode

    rec = decode(encode(a1111(record("sd1", prompt=" ".join(["cat"] * 76), negative_prompt="dog"))))
    pipe = renderer.cache.get(rec, "cpu")[0].pipe
    padded = pw.prompt_embeddings(pipe, rec, "sd1", {"pad_conds": True})
    unpadded = pw.prompt_embeddings(pipe, rec, "sd1", {})
    empty = pw.encode_prompt(pipe, "", None, True)
    assert padded["prompt_embeds"].shape[1] == padded["negative_prompt_embeds"].shape[1] == 154
    assert torch.equal(padded["negative_prompt_embeds"][:, :77], unpadded["negative_prompt_embeds"])
    assert torch.equal(padded["negative_prompt_embeds"][:, 77:], empty)
    assert pw.pad_to_same_length(torch, padded)[1] == (154, 154)  # equal lengths: one UNet batch, as the web UI runs
    pad_dialect = dialect_named_for({"pad_conds": True})
    assert not np.array_equal(renderer.render(rec, decoded=True).rgb,
                              renderer.render(dict(rec, extensions=[{"type": 7, "dialect": pad_dialect}])).rgb)
