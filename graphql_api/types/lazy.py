"""The types that refer back to a module importing them (a page's paths, a path's customer,
a customer's community): Strawberry resolves these names when the schema is built."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from graphql_api.types.change import Change, PageVersion
    from graphql_api.types.community import Community
    from graphql_api.types.customer import Customer
    from graphql_api.types.dwell import Dwell
    from graphql_api.types.page import Page
    from graphql_api.types.path import Path
    from graphql_api.types.segment import SegmentRate
    from graphql_api.types.suggestion import LinkSuggestion

CommunityType = Annotated["Community", strawberry.lazy("graphql_api.types.community")]
CustomerType = Annotated["Customer", strawberry.lazy("graphql_api.types.customer")]
PageType = Annotated["Page", strawberry.lazy("graphql_api.types.page")]
PathType = Annotated["Path", strawberry.lazy("graphql_api.types.path")]
LinkSuggestionType = Annotated["LinkSuggestion", strawberry.lazy("graphql_api.types.suggestion")]
ChangeType = Annotated["Change", strawberry.lazy("graphql_api.types.change")]
PageVersionType = Annotated["PageVersion", strawberry.lazy("graphql_api.types.change")]
SegmentRateType = Annotated["SegmentRate", strawberry.lazy("graphql_api.types.segment")]
DwellType = Annotated["Dwell", strawberry.lazy("graphql_api.types.dwell")]
