"""How the product's Streamlit is configured to serve pages fast (README "Dashboard at a
million leads")."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from leads_core.config import PROJECT_ROOT


def test_a_new_browser_session_does_not_scan_the_loaded_modules_for_files_to_watch() -> None:
    # With a file watcher, each new session's first run ends with Streamlit walking every
    # loaded module (~2,000) to choose files to watch: 0.6-0.8 s of the server's CPU per full
    # page load, while the page's JavaScript and messages wait for the GIL.
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"


@pytest.mark.slow  # imports the whole server (pandas, Plotly, FastAPI...): 5-25 s
def test_the_server_loads_the_pages_modules_and_freezes_them_out_of_full_collections() -> None:
    # Streamlit runs gc.collect(2) after every script run, holding the GIL: over the
    # ~230,000 objects of the loaded libraries that took 0.2-1.2 s per run (the server's CPU
    # per Analytics load went from 2.8 s to 0.5 s once they were frozen).
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, sys; import app; "
            "print(gc.get_freeze_count(), 'plotly' in sys.modules, 'pandas' in sys.modules, "
            "len(gc.get_objects()))",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    frozen, plotly, pandas, walked = found.stdout.strip().splitlines()[-1].split()
    assert int(frozen) > 100_000
    assert (plotly, pandas) == ("True", "True")
    assert int(walked) < 10_000, "a full collection walks only what was made since"
