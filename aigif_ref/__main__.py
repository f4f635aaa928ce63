import sys

from aigif_ref.cli import main

sys.exit(main())
