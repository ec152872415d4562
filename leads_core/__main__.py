import sys

from leads_core.cli import main

sys.exit(main())
