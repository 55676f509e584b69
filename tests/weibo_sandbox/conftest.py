import pytest


def pytest_collection_modifyitems(config, items):
    """The sandbox's own tests talk to the sandbox process only, never to the app's database, broker or
    cache: they are the same on every backend, and run once (see scripts/test.sh)."""
    for item in items:
        if "weibo_sandbox" in item.path.parts and item.path.name.startswith("test_"):
            item.add_marker(pytest.mark.platform_free)
