from conformance.impls.adapter_cli import entry_point
from conformance.impls.reference.adapter import ReferenceAdapter

entry_point(ReferenceAdapter())
