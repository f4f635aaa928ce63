"""Rounds the guidance scale to 6 significant digits, as printf's %g does."""
from conformance.mutants.base import Mutant


def six_digits(value):
    return float(f"{value:.6g}") if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class GuidanceDigits(Mutant):
    flaw = "mis-rounds guidance scales: keeps 6 significant digits (%g), not the float32 value"

    def parse(self, data, registry):
        record = super().parse(data, registry)
        return {**record, "guidance_scale": six_digits(record["guidance_scale"])}

    def build(self, record, registry):
        return super().build({**record, "guidance_scale": six_digits(record.get("guidance_scale"))}, registry)
