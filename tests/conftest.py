def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives JupyterLab in Chromium with Playwright (deselect with -m 'not browser')")
