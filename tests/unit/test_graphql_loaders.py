"""Per-request DataLoaders are made on first use, once per request, and batch as before."""

from __future__ import annotations

import asyncio

from graphql_api.loaders import Loaders
from tests.fakes import FakeGraph


def test_loaders_are_made_on_first_use_and_kept_for_the_request() -> None:
    loaders = Loaders(FakeGraph())
    assert "page" not in vars(loaders)  # nothing made up front
    page = loaders.page
    assert loaders.page is page  # one loader (one cache, one batch) per request
    assert "transitions" not in vars(loaders)
    assert Loaders(FakeGraph()).page is not page  # never shared across requests


def test_a_lazy_loader_still_batches_one_tick_into_one_read() -> None:
    read = FakeGraph()
    loaders = Loaders(read)

    async def load() -> list[object]:
        return list(await asyncio.gather(*(loaders.page.load(f"p{i}") for i in range(5))))

    pages = asyncio.run(load())
    assert [getattr(p, "id", None) for p in pages] == [f"p{i}" for i in range(5)]
    assert read.calls.count("pages_by_ids") == 1
