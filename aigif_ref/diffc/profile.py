"""DiffC profiles: registry enumeration `diffc_profiles` (spec/diffc.md, section 4).

A profile binds a payload to one model (its ID and the sha256 of the weight files the codec uses) and
fixes what encoder and decoder must agree on besides the payload: the latent geometry, the RCC timestep
schedule (a payload codes a prefix of it), the final DDIM denoising and the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aigif_ref.errors import AigifError
from aigif_ref.registry import Registry, default_registry

ENUMERATION = "diffc_profiles"


@dataclass(frozen=True)
class Profile:
    code: int
    name: str
    model_id: int
    model_files: dict[str, str]
    latent_channels: int
    latent_downscale: int
    initial_timestep: int
    timesteps: tuple[int, ...]
    denoise_steps: int
    prompt: str
    payload_version: int = 1            # the payload layout this profile's files use (spec/diffc.md section 5)
    conditioning: str = "profile"       # "profile": its prompt, guidance 1; "record": the record's (section 4.1)
    expected_chunks: tuple[int, ...] = ()   # version 2: per timestep, what chunk counts are coded against
    count_prior: tuple[int, ...] = ()       # version 2: the chunk-count model's starting frequencies
    index_prior: tuple[int, ...] = ()       # version 2: the index model's starting frequencies
    encoder: dict = field(default_factory=dict, compare=False)  # informative: the reference encoder's settings

    def stream_tables(self):
        from aigif_ref.diffc.entropy import StreamTables

        return StreamTables(len(self.timesteps), self.expected_chunks, self.count_prior, self.index_prior)

    def conditioning_for(self, record: dict) -> tuple[str, float]:
        """(prompt, guidance) the model's noise predictions are conditioned on (section 4.1)."""
        if self.conditioning == "record":
            return record.get("prompt", ""), float(record.get("guidance_scale", 1.0))
        return self.prompt, 1.0

    def latent_shape(self, height: int, width: int) -> tuple[int, int, int]:
        f = self.latent_downscale
        if height % f or width % f or height <= 0 or width <= 0:
            raise AigifError("AIGIF_E_DIFFC", f"DiffC profile {self.name} needs a size that is a multiple of {f}; "
                                              f"the record says {width}x{height}")
        return self.latent_channels, height // f, width // f

    def denoise_timesteps(self, last_coded: int) -> list[int]:
        """The DDIM timesteps after the last coded one: the leading spacing of ``denoise_steps`` over 1000
        (k * (1000 // denoise_steps), descending), those below it."""
        ratio = 1000 // self.denoise_steps
        return [t for t in range((self.denoise_steps - 1) * ratio, -1, -ratio) if t < last_coded]


def _tables_ok(profile: Profile) -> bool:
    from aigif_ref.diffc import entropy

    return (len(profile.expected_chunks) == len(profile.timesteps) and min(profile.expected_chunks, default=0) >= 1
            and all(len(prior) == size and min(prior) >= 1 and sum(prior) <= entropy.FREQ_LIMIT
                    for prior, size in ((profile.count_prior, entropy.COUNT_BUCKETS),
                                        (profile.index_prior, entropy.INDEX_BUCKETS))))


def profiles(registry: Registry | None = None) -> dict[int, Profile]:
    registry = registry or default_registry()
    out = {}
    for e in registry.data["enumerations"].get(ENUMERATION, []):
        code = e["code"]
        out[code] = Profile(code, e["name"], e["model_id"], dict(e["model_files"]), e["latent_channels"],
                            e["latent_downscale"], e["initial_timestep"], tuple(e["timesteps"]), e["denoise_steps"],
                            e["prompt"], e.get("payload_version", 1), e.get("conditioning", "profile"),
                            tuple(e.get("expected_chunks", ())), tuple(e.get("count_prior", ())),
                            tuple(e.get("index_prior", ())), dict(e.get("encoder", {})))
    return out


def get_profile(code: int, registry: Registry | None = None, model_id: int | None = None) -> Profile:
    """The profile ``code``; with ``model_id``, it must be bound to that model (AIGIF_E_DIFFC_PROFILE)."""
    registry = registry or default_registry()
    profile = profiles(registry).get(code)
    if profile is None:
        raise AigifError("AIGIF_E_DIFFC_PROFILE", f"DiffC profile {code} is not in the registry")
    if model_id is not None and profile.model_id != model_id:
        raise AigifError("AIGIF_E_DIFFC_PROFILE", f"DiffC profile {profile.name} is bound to model {profile.model_id}, "
                                                  f"the file names model {model_id}")
    if profile.payload_version == 2 and not _tables_ok(profile):
        raise AigifError("AIGIF_E_DIFFC_PROFILE", f"DiffC profile {profile.name}: its version-2 tables are malformed "
                                                  "(an expected chunk count per timestep; priors of 25 and 17 "
                                                  "frequencies >= 1, each summing to at most 65536)")
    pinned = registry.models.get(profile.model_id, {}).get("files", {})
    changed = [path for path, sha in profile.model_files.items() if pinned.get(path) != sha]
    if changed:
        raise AigifError("AIGIF_E_DIFFC_PROFILE", f"DiffC profile {profile.name} was made for other weights of model "
                                                  f"{profile.model_id} ({', '.join(changed)} differ from the registry's pins)")
    return profile


def profile_for_model(model_id: int, registry: Registry | None = None, newest: bool = False) -> Profile:
    """The first (``newest``: the last) profile bound to ``model_id``."""
    found = profiles(registry).values()
    for profile in (sorted(found, key=lambda p: -p.code) if newest else found):
        if profile.model_id == model_id:
            return get_profile(profile.code, registry, model_id)
    raise AigifError("AIGIF_E_DIFFC_PROFILE", f"no DiffC profile in the registry is bound to model {model_id}; "
                                              "DiffC needs one (registry enumeration diffc_profiles)")
