"""Reports size limits as range errors."""
from aigif_ref.errors import AigifError
from conformance.mutants.base import Mutant


class LimitCode(Mutant):
    flaw = "reports AIGIF_E_RANGE where a size limit is exceeded (AIGIF_E_LIMIT)"

    def parse(self, data, registry):
        try:
            return super().parse(data, registry)
        except AigifError as exc:
            if exc.code == "AIGIF_E_LIMIT":
                raise AigifError("AIGIF_E_RANGE", exc.message, exc.offset) from None
            raise
