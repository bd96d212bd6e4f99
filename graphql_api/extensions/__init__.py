"""The schema's extensions, one concern per module, in the order they run.

Parsing and validation use Strawberry's own token limit, parser cache, validation rules
(depth, aliases) and validation cache; ours add the document-shape check (size, repeats,
fragments), the cost check, error masking, metrics, the time budget and the response
cache's verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from graphql_api.extensions.budget import TimeBudget
from graphql_api.extensions.cacheable import MarkCacheable
from graphql_api.extensions.caches import ParsedOnce, ValidatedOnce
from graphql_api.extensions.cost import CostLimiter
from graphql_api.extensions.masking import PublicErrors
from graphql_api.extensions.metrics import OperationMetrics
from graphql_api.extensions.shape import DocumentShapeLimiter
from graphql_api.extensions.websocket import SubscriptionsOnlyOverWebSocket
from graphql_api.limits import CACHE_SIZE, MAX_ALIASES, MAX_DEPTH, MAX_TOKENS

# Made once: the rule classes are then the same on every request, so the validation cache
# (keyed by schema, document and rules) hits for a repeated query text.
LIMIT_RULES: Final[tuple[type[ASTValidationRule], ...]] = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)


def schema_extensions() -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    """Factories, so every operation gets its own extension instances."""
    return [
        OperationMetrics,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParsedOnce(maxsize=CACHE_SIZE),
        DocumentShapeLimiter,
        lambda: AddValidationRules(list(LIMIT_RULES)),
        lambda: ValidatedOnce(maxsize=CACHE_SIZE),
        CostLimiter,
        PublicErrors,
        MarkCacheable,
        SubscriptionsOnlyOverWebSocket,
        TimeBudget,
    ]
