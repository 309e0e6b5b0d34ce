"""Fixtures the browser tests share."""

import pytest


# One Playwright per process at a time: module scope lets each browser test module start its own after the last.
@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright (a module that needs other flags defines its own)."""
    from browser_support import chromium

    with chromium() as launched:
        yield launched
