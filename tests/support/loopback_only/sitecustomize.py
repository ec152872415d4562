"""Loaded by Python at start in the app servers the tests launch (``devserver.start_app``
puts this folder on ``PYTHONPATH``): their traffic stays on loopback
(``tests.support.loopback``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the project, for tests.support
from tests.support import loopback  # noqa: E402

loopback.install()
del sys.path[0]
