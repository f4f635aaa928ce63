from conformance.impls.adapter_cli import entry_point
from conformance.impls.kaitai_python.adapter import KaitaiAdapter

entry_point(KaitaiAdapter())
