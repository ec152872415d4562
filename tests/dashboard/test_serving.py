"""How the product's Streamlit is configured to serve pages fast (README "Dashboard at a
million leads")."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from leads_core.config import PROJECT_ROOT


def test_a_new_browser_session_does_not_scan_the_loaded_modules_for_files_to_watch() -> None:
    # With a file watcher, each new session's first run ends with Streamlit walking every
    # loaded module (~2,000) to choose files to watch: 0.6-0.8 s of the server's CPU per full
    # page load, while the page's JavaScript and messages wait for the GIL.
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    # ... and Streamlit reads it so from the project folder, as `streamlit run app.py` does.
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "from streamlit import config; config.get_config_options(); "
            "print(config.get_option('server.fileWatcherType'))",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert read.stdout.strip().splitlines()[-1] == "none"
