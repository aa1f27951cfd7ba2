"""A Billomat client made from the tracker's customer, for users who bill someone new: the
adapter posts it, Billomat numbers it, and it is a client like any other afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_support import TODAY
from timebill.core.billomat.client import Billomat
from timebill.core.http import RetryPolicy
from timebill.core.sandbox import SandboxServer


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY, services=("billomat",)) as srv:
        yield srv


def adapter(server: SandboxServer, retry: RetryPolicy) -> Billomat:
    c = server.credentials()["billomat"]
    return Billomat(c["billomat_id"], c["api_key"], base_url=c["base_url"], retry=retry)


async def test_a_created_client_is_numbered_and_listed(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    async with adapter(server, fast_retry) as billomat:
        before = {c.id for c in await billomat.clients()}
        created = await billomat.create_client("  Brückner Maschinenbau GmbH ")
        after = await billomat.clients()
    assert created.id not in before
    assert created.name == "Brückner Maschinenbau GmbH"
    assert created.client_number  # Billomat numbers it
    assert [c for c in after if c.id == created.id] == [created]


async def test_a_client_needs_a_name(server: SandboxServer, fast_retry: RetryPolicy) -> None:
    async with adapter(server, fast_retry) as billomat:
        before = await billomat.clients()
        with pytest.raises(ValueError, match="needs a name"):
            await billomat.create_client("   ")
        assert await billomat.clients() == before
