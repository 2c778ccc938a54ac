"""Browser fixtures: Debian's Chromium driven by pytest-playwright, against the live server."""
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google, and those connections are refused.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = list(browser_type_launch_args.get("args", []))
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": args + [a for a in CHROMIUM_ARGS if a not in args]}


@pytest.fixture
def seeded(runner):
    """The demo catalogue, loaded for this test only (the app fixture empties the database afterwards)."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
