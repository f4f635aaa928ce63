"""The A1111 prompt dialect (extension type 7, ``A1111``): prompts -> diffusers ``prompt_embeds``.

AUTOMATIC1111's web UI reads a prompt as weighted text, not as plain characters. This module is an
independent implementation of its semantics (modules/prompt_parser.py ``parse_prompt_attention`` and
modules/sd_hijack_clip.py ``tokenize_line``/``process_tokens``, emphasis "Original"), written from
their documented behaviour and doctest examples; spec/reference-decoder.md ("The A1111 prompt dialect")
states it for other implementations:

1. Attention: ``(text)`` multiplies the weight of ``text`` by 1.1, ``[text]`` by 1/1.1, ``(text:w)``
   by ``w``; ``\\(`` ``\\)`` ``\\[`` ``\\]`` ``\\\\`` are literal characters; an unclosed bracket
   applies to the end of the prompt; ``BREAK`` (a whole word, with the whitespace around it) ends the
   current chunk. Neighbouring runs of equal weight are merged.
2. Tokens: each run is tokenized alone (no BOS/EOS, no truncation) and the tokens are packed into
   chunks of 75; a chunk that fills up moves the text after its last comma to the next chunk when that
   comma is at most 20 tokens back (A1111's default "Prompt word wrap length limit"); a
   textual-inversion embedding (an adapters record entry, found by its token) is never split across
   chunks. Each chunk becomes BOS + 75 tokens (padded with EOS) + EOS; where the tokenizer's padding
   token differs from EOS (SD 2), everything after the first EOS is padding.
3. Each chunk goes through the text encoder alone (SD 1.x/2.x: the last hidden state, or with clip
   skip N the state N layers earlier through the final layer norm, for the prompt and the negative
   prompt alike; SDXL: each of its two encoders reads the text with its own tokenizer, the penultimate
   hidden state (N layers earlier with clip skip N) without the final norm, the two joined on the
   feature axis, the pooled embedding from the second encoder's first chunk; an empty negative prompt
   is all zeros, embeddings and pooled, as the web UI makes it); its output is
   multiplied token by token by the weights, then rescaled so that its mean equals the unweighted
   output's mean (a chunk whose weights are all 1 is left as it is: the rescale is then the identity,
   or 0/0 on a model whose outputs average exactly 0). The chunks are concatenated along the token axis.
4. Prompt and negative prompt are encoded separately and may have different lengths; A1111 then
   runs the UNet on each alone (its default, "pad prompt/negative prompt" off), which
   :func:`unequal_lengths` reproduces inside one diffusers call.

Dialect variants (registry ``prompt_dialects``, key ``a1111``; the infotext's "Emphasis" and "Pad conds"):
``emphasis: "No norm"`` skips the mean rescale of step 3 (A1111's EmphasisOriginalNoNorm); ``pad_conds``
pads the shorter of prompt and negative prompt with copies of the empty prompt's encoding (one 77-token
chunk each, encoded with the record's clip skip; SDXL's not zeroed) up to the longer one's length, as the
web UI's ``pad_cond_uncond`` does, so both run in one UNet batch.

Not implemented (refused with AIGIF_E_PLATFORM before anything is loaded): prompt editing
``[from:to:when]``, alternation ``[a|b]``, composable ``AND`` and a whole-prompt weight (``text :1.3``
at the end), and families other than Stable Diffusion 1.x/2.x and SDXL.
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from aigif_ref.errors import AigifError

ROUND_MULTIPLIER = 1.1
SQUARE_MULTIPLIER = 1 / 1.1
CHUNK_TOKENS = 75  # tokens of prompt per chunk; + BOS + EOS = the encoder's 77
COMMA_BACKTRACK = 20  # A1111's default comma_padding_backtrack
BREAK = ("BREAK", -1.0)  # the marker a BREAK leaves in the parsed list (a weight no text can have)
FAMILIES = ("sd1", "sd2", "sdxl")  # families whose text encoding this module implements

# One lexical item of the attention syntax, tried in this order: escapes, a lone backslash, openers,
# ":weight)" closers, closers, a run of ordinary characters, a stray colon.
_ATTENTION_ITEM = re.compile(r"""
    \\[()\[\]\\]        # escaped bracket or backslash: a literal character
  | \\                  # a lone backslash: nothing
  | [(\[]               # opening bracket
  | :([+-]?[.\d]+)\)    # ':weight)' closes a round bracket with an explicit weight
  | [)\]]               # closing bracket
  | [^\\()\[\]:]+       # ordinary text
  | :                   # a colon that closes nothing
""", re.X)
_BREAK_WORD = re.compile(r"\s*\bBREAK\b\s*", re.S)
_AND_WORD = re.compile(r"\bAND\b")
_WHOLE_PROMPT_WEIGHT = re.compile(r"^(\s*.*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$")
_SCHEDULE_NUMBER = re.compile(r":\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


A1111_DIALECT = "A1111"  # registry prompt_dialects: the dialect with every web UI option at its default


def dialect_options(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The web UI options of a registry ``prompt_dialects`` entry: {} for A1111 itself, the ``a1111`` object of
    its variants (emphasis mode, pad conds), None for a dialect that is not A1111's."""
    return {} if entry["name"] == A1111_DIALECT else entry.get("a1111")


def parse_attention(text: str) -> list[list[Any]]:
    """A prompt as [[text, weight], ...] runs, BREAK as ["BREAK", -1.0] (A1111's parse_prompt_attention)."""
    runs: list[list[Any]] = []
    round_open: list[int] = []
    square_open: list[int] = []

    def multiply_from(start: int, factor: float) -> None:
        for run in runs[start:]:
            run[1] *= factor

    for match in _ATTENTION_ITEM.finditer(text):
        item, weight = match.group(0), match.group(1)
        if item.startswith("\\"):
            runs.append([item[1:], 1.0])
        elif item == "(":
            round_open.append(len(runs))
        elif item == "[":
            square_open.append(len(runs))
        elif weight is not None and round_open:
            try:
                factor = float(weight)
            except ValueError:
                raise AigifError("AIGIF_E_RECORD", f"A1111 prompt: the weight {weight!r} in {item!r} is not a number "
                                                   "(the web UI stops on it too)") from None
            multiply_from(round_open.pop(), factor)
        elif item == ")" and round_open:
            multiply_from(round_open.pop(), ROUND_MULTIPLIER)
        elif item == "]" and square_open:
            multiply_from(square_open.pop(), SQUARE_MULTIPLIER)
        else:  # text, or a bracket that closes nothing: literal, split at BREAK
            for i, part in enumerate(_BREAK_WORD.split(item)):
                if i:
                    runs.append(list(BREAK))
                runs.append([part, 1.0])
    for start in round_open:
        multiply_from(start, ROUND_MULTIPLIER)
    for start in square_open:
        multiply_from(start, SQUARE_MULTIPLIER)
    if not runs:
        runs = [["", 1.0]]
    merged = [runs[0]]
    for run in runs[1:]:
        if run[1] == merged[-1][1]:
            merged[-1][0] += run[0]
        else:
            merged.append(run)
    return merged


def _square_groups(text: str) -> Iterator[str]:
    """The contents of each matched, unescaped [ ... ] (nested ones too)."""
    stack: list[int] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            stack.append(i + 1)
        elif char == "]" and stack:
            yield text[stack.pop():i]
        i += 1


def _unescaped(text: str, char: str) -> bool:
    return re.search(r"(?<!\\)(?:\\\\)*" + re.escape(char), text) is not None


def unsupported(text: str, negative: bool) -> str | None:
    """What in ``text`` this decoder does not implement (None: nothing). Conservative: it may refuse a
    prompt that A1111 would have read as plain text, never the other way round."""
    for group in _square_groups(text):
        if _SCHEDULE_NUMBER.search(group.rstrip()):
            return f"prompt editing [from:to:when] ({'[' + group + ']'!r})"
        if _unescaped(group, "|"):
            return f"alternation [a|b] ({'[' + group + ']'!r})"
    if negative:
        return None  # the web UI reads AND and a trailing weight literally in the negative prompt
    if _AND_WORD.search(text):
        return "composable prompts (AND)"
    weight = _whole_prompt_weight(text)[1]
    if weight != 1.0:
        return f"a whole-prompt weight (:{weight:g} at the end)"
    return None


def _whole_prompt_weight(text: str) -> tuple[str, float]:
    """The web UI strips a trailing ':number' (and trailing whitespace) from each positive prompt."""
    match = _WHOLE_PROMPT_WEIGHT.search(text)
    if match is None:
        return text, 1.0
    return match.group(1), float(match.group(2)) if match.group(2) is not None else 1.0


def refusal(record: dict[str, Any], family: str) -> str | None:
    """Why this decoder cannot render ``record``'s prompts in the A1111 dialect (None: it can)."""
    if family not in FAMILIES:
        return f"for model family {family!r} (implemented for {', '.join(FAMILIES)})"
    for name, negative in (("prompt", False), ("negative_prompt", True)):
        what = unsupported(record.get(name) or "", negative)
        if what:
            return f"with {what} in the {name.replace('_', ' ')}"
    return None


# ------------------------------------------------------------------ tokens -> chunks
@dataclass
class Chunk:
    tokens: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Vocabulary:
    """What chunking needs from a tokenizer."""
    bos: int
    eos: int
    pad: int
    comma: int | None
    embeddings: dict[int, tuple[int, ...]]  # first token of a textual-inversion embedding -> all its tokens


def chunk_runs(runs: list[list[Any]], tokenized: list[list[int]], vocab: Vocabulary) -> list[Chunk]:
    """Pack tokenized runs into chunks of 77 (A1111's tokenize_line), weights beside the tokens."""
    chunks: list[Chunk] = []
    chunk = Chunk()
    last_comma = -1

    def close(is_last: bool = False) -> None:
        nonlocal chunk, last_comma
        missing = CHUNK_TOKENS - len(chunk.tokens)
        chunk.tokens += [vocab.eos] * missing
        chunk.weights += [1.0] * missing
        chunk.tokens = [vocab.bos] + chunk.tokens + [vocab.eos]
        chunk.weights = [1.0] + chunk.weights + [1.0]
        last_comma = -1
        chunks.append(chunk)
        chunk = Chunk()

    for tokens, (text, weight) in zip(tokenized, runs):
        if (text, weight) == BREAK:
            close()
            continue
        position = 0
        while position < len(tokens):
            token = tokens[position]
            if token == vocab.comma:
                last_comma = len(chunk.tokens)
            elif (COMMA_BACKTRACK and len(chunk.tokens) == CHUNK_TOKENS and last_comma != -1
                  and len(chunk.tokens) - last_comma <= COMMA_BACKTRACK):
                cut = last_comma + 1  # the text after the comma moves to the next chunk
                moved_tokens, moved_weights = chunk.tokens[cut:], chunk.weights[cut:]
                chunk.tokens, chunk.weights = chunk.tokens[:cut], chunk.weights[:cut]
                close()
                chunk.tokens, chunk.weights = moved_tokens, moved_weights
            if len(chunk.tokens) == CHUNK_TOKENS:
                close()
            embedding = vocab.embeddings.get(token)
            if embedding is None or tuple(tokens[position:position + len(embedding)]) != embedding:
                chunk.tokens.append(token)
                chunk.weights.append(weight)
                position += 1
                continue
            if len(chunk.tokens) + len(embedding) > CHUNK_TOKENS:
                close()
            chunk.tokens += list(embedding)
            chunk.weights += [weight] * len(embedding)
            position += len(embedding)
    if chunk.tokens or not chunks:
        close(is_last=True)
    return chunks


# ------------------------------------------------------------------ chunks -> embeddings
def vocabulary(pipe: Any, tokenizer: Any) -> Vocabulary:
    embeddings: dict[int, tuple[int, ...]] = {}
    added = tokenizer.get_added_vocab() if hasattr(tokenizer, "get_added_vocab") else {}
    for token, first in added.items():
        if re.search(r"_\d+$", token) and token.rsplit("_", 1)[0] in added:
            continue  # a later vector of a multi-vector embedding (diffusers names them TOKEN_1, TOKEN_2, ...)
        ids = [first]
        while f"{token}_{len(ids)}" in added:
            ids.append(added[f"{token}_{len(ids)}"])
        if first not in (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id):
            embeddings[first] = tuple(ids)
    vocab = tokenizer.get_vocab()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return Vocabulary(tokenizer.bos_token_id, tokenizer.eos_token_id, pad, vocab.get(",</w>"), embeddings)


def tokenize_prompt(pipe: Any, tokenizer: Any, text: str) -> tuple[list[list[Any]], list[list[int]]]:
    runs = parse_attention(text)
    texts = [run[0] for run in runs]
    if hasattr(pipe, "maybe_convert_prompt"):  # a multi-vector embedding's token -> its TOKEN_1 ... tokens
        texts = [pipe.maybe_convert_prompt(t, tokenizer) if t else t for t in texts]
    tokenized = tokenizer(texts, truncation=False, add_special_tokens=False)["input_ids"]
    return runs, tokenized


def sd_layer(clip_skip: int | None):
    """SD 1.x/2.x: the last hidden state, or with clip skip N the state N layers earlier through the final layer norm."""
    def layer(text_encoder: Any, ids: Any) -> tuple[Any, Any]:
        if not clip_skip:
            return text_encoder(ids)[0], None
        hidden = text_encoder(ids, output_hidden_states=True).hidden_states[-(clip_skip + 1)]
        norm = text_encoder.final_layer_norm if hasattr(text_encoder, "final_layer_norm") else text_encoder.text_model.final_layer_norm
        return norm(hidden), None
    return layer


def sdxl_layer(clip_skip: int | None):
    """SDXL (both encoders): the penultimate hidden state (clip_skip N: N layers earlier), no final norm; the
    projected pooled output where the encoder has one."""
    def layer(text_encoder: Any, ids: Any) -> tuple[Any, Any]:
        out = text_encoder(ids, output_hidden_states=True)
        pooled = out[0] if out[0].ndim == 2 else None
        return out.hidden_states[-((clip_skip or 0) + 2)], pooled
    return layer


def encode_chunks(torch: Any, text_encoder: Any, chunks: list[Chunk], vocab: Vocabulary, layer: Any,
                  normalize: bool = True) -> tuple[Any, Any]:
    """((1, 77 x chunks, hidden) embeddings, the first chunk's pooled output or None); emphasis applied per
    chunk as A1111's "Original" does (``normalize=False``: "No norm", the weights without the mean rescale)."""
    device = text_encoder.device
    outputs, first_pooled = [], None
    for index, chunk in enumerate(chunks):
        ids = list(chunk.tokens)
        if vocab.pad != vocab.eos:  # SD 2, SDXL's second encoder: padding after the first end-of-text token
            first_eos = ids.index(vocab.eos)
            ids[first_eos + 1:] = [vocab.pad] * (len(ids) - first_eos - 1)
        with torch.no_grad():
            z, pooled = layer(text_encoder, torch.tensor([ids], dtype=torch.long, device=device))
            if index == 0:
                first_pooled = pooled
            if any(w != 1.0 for w in chunk.weights):  # else the rescale is the identity (or 0/0 where the mean is 0)
                weights = torch.tensor([chunk.weights], dtype=torch.float32, device=device)
                original_mean = z.mean()
                z = z * weights.reshape(weights.shape + (1,)).expand(z.shape)
                if normalize:
                    z = z * (original_mean / z.mean())
        outputs.append(z)
    return torch.cat(outputs, dim=1), first_pooled


def encode_with(pipe: Any, tokenizer: Any, text_encoder: Any, text: str, layer: Any,
                normalize: bool = True) -> tuple[Any, Any]:
    import torch

    runs, tokenized = tokenize_prompt(pipe, tokenizer, text)
    vocab = vocabulary(pipe, tokenizer)
    z, pooled = encode_chunks(torch, text_encoder, chunk_runs(runs, tokenized, vocab), vocab, layer, normalize)
    return z.to(text_encoder.dtype), pooled


def encode_prompt(pipe: Any, text: str, clip_skip: int | None, positive: bool, normalize: bool = True) -> Any:
    """SD 1.x/2.x prompt embeddings of ``text`` in the A1111 dialect."""
    if positive:
        text = _whole_prompt_weight(text)[0]
    return encode_with(pipe, pipe.tokenizer, pipe.text_encoder, text, sd_layer(clip_skip), normalize)[0]


def encode_prompt_sdxl(pipe: Any, text: str, clip_skip: int | None, positive: bool,
                       normalize: bool = True) -> tuple[Any, Any]:
    """SDXL (embeddings, pooled embeddings): each encoder reads the text alone, outputs joined on the feature axis."""
    import torch

    if positive:
        text = _whole_prompt_weight(text)[0]
    elif text == "":  # the web UI zeroes an empty negative prompt on SDXL (embeddings and pooled)
        z, pooled = encode_prompt_sdxl(pipe, text, clip_skip, True)
        return torch.zeros_like(z), torch.zeros_like(pooled)
    layer = sdxl_layer(clip_skip)
    parts = [encode_with(pipe, tok, enc, text, layer, normalize) for tok, enc in ((pipe.tokenizer, pipe.text_encoder),
                                                                               (pipe.tokenizer_2, pipe.text_encoder_2))
             if enc is not None]
    return torch.cat([z for z, _ in parts], dim=-1), parts[-1][1]


def prompt_embeddings(pipe: Any, record: dict[str, Any], family: str = "sd1",
                      options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Pipeline call arguments that replace ``prompt``/``negative_prompt`` for an A1111-dialect record;
    ``options`` is the dialect's registry ``a1111`` entry (emphasis mode, pad conds)."""
    options = options or {}
    normalize = options.get("emphasis", "Original") == "Original"
    clip_skip = record["params"].get("clip_skip")
    negative = record.get("negative_prompt") or ""  # the web UI has no absent negative prompt: none is ""
    cfg = record["guidance_scale"] > 1  # diffusers uses a negative prompt only with classifier-free guidance
    if family == "sdxl":
        out = dict(zip(("prompt_embeds", "pooled_prompt_embeds"),
                       encode_prompt_sdxl(pipe, record["prompt"], clip_skip, True, normalize)))
        if cfg:
            out.update(zip(("negative_prompt_embeds", "negative_pooled_prompt_embeds"),
                           encode_prompt_sdxl(pipe, negative, clip_skip, False, normalize)))
    else:
        out = {"prompt_embeds": encode_prompt(pipe, record["prompt"], clip_skip, True, normalize)}
        if cfg:
            out["negative_prompt_embeds"] = encode_prompt(pipe, negative, clip_skip, False, normalize)
    if cfg and options.get("pad_conds"):
        empty = (encode_prompt_sdxl(pipe, "", clip_skip, True)[0] if family == "sdxl"
                 else encode_prompt(pipe, "", clip_skip, True))
        out = pad_with_empty(out, empty)
    return out


def pad_with_empty(embeds: dict[str, Any], empty: Any) -> dict[str, Any]:
    """The web UI's pad_cond_uncond: the shorter of prompt and negative prompt embeddings gets whole copies of
    the empty prompt's (1, 77, hidden) encoding appended until both are as long."""
    import torch

    positive, negative = embeds["prompt_embeds"], embeds["negative_prompt_embeds"]
    repeats = (positive.shape[1] - negative.shape[1]) // empty.shape[1]
    if repeats == 0:
        return embeds
    key, short = ("negative_prompt_embeds", negative) if repeats > 0 else ("prompt_embeds", positive)
    padding = empty.to(short.dtype).repeat(short.shape[0], abs(repeats), 1)
    return dict(embeds, **{key: torch.cat([short, padding], dim=1)})


# ------------------------------------------------------------------ prompt and negative prompt of different lengths
def pad_to_same_length(torch: Any, embeds: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """diffusers stacks prompt and negative prompt into one batch: zero-pad the shorter; the lengths say
    how much of each :func:`unequal_lengths` gives the UNet."""
    if "negative_prompt_embeds" not in embeds:
        return embeds, None
    positive, negative = embeds["prompt_embeds"], embeds["negative_prompt_embeds"]
    lengths = (negative.shape[1], positive.shape[1])  # diffusers' batch order: negative rows first
    longest = max(lengths)

    def pad(t: Any) -> Any:
        return t if t.shape[1] == longest else torch.cat([t, t.new_zeros(t.shape[0], longest - t.shape[1], t.shape[2])], 1)

    return dict(embeds, prompt_embeds=pad(positive), negative_prompt_embeds=pad(negative)), lengths


@contextlib.contextmanager
def unequal_lengths(pipe: Any, lengths: tuple[int, int] | None) -> Iterator[None]:
    """While the pipeline runs, give the UNet each half of a classifier-free-guidance batch alone with its
    own unpadded prompt embeddings (A1111 runs them as two UNet calls when their lengths differ)."""
    if lengths is None or lengths[0] == lengths[1]:
        yield
        return
    import torch

    unet = pipe.unet
    original = unet.forward

    def forward(sample: Any, timestep: Any, encoder_hidden_states: Any, *args: Any, **kwargs: Any) -> Any:
        rows = sample.shape[0]
        if rows % 2 or encoder_hidden_states.shape[1] != max(lengths):
            return original(sample, timestep, encoder_hidden_states, *args, **kwargs)  # no CFG batch here
        half = rows // 2
        parts = []
        for index, length in enumerate(lengths):
            rows_of = slice(index * half, (index + 1) * half)
            step = timestep[rows_of] if torch.is_tensor(timestep) and timestep.ndim and timestep.shape[0] == rows else timestep
            extra = {k: ({n: (v[rows_of] if torch.is_tensor(v) and v.shape[:1] == (rows,) else v) for n, v in a.items()}
                         if k == "added_cond_kwargs" and a is not None else a) for k, a in kwargs.items()}
            parts.append(original(sample[rows_of], step, encoder_hidden_states[rows_of, :length], *args, **extra))
        if kwargs.get("return_dict", True) is False:
            return (torch.cat([p[0] for p in parts]),)
        first = parts[0]
        first.sample = torch.cat([p.sample for p in parts])
        return first

    object.__setattr__(unet, "forward", forward)
    try:
        yield
    finally:
        vars(unet).pop("forward", None)
