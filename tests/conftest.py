from __future__ import annotations

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    # Pinned rather than left to anyio's default, which silently drops a backend that is
    # not installed: both must run.
    return str(request.param)
