import sys

from leads_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
