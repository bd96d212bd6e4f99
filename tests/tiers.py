"""The two tiers of the suite (README, "Two commands").

`make test` runs every behaviour at the smallest size where it still shows; `make soak`
(PATHRANK_TEST_TIER=soak) runs the tests marked `soak` (full size, real server kills) and
the hypothesis properties again with their full number of examples. A soak test always has
a sibling in `make test` that checks the same invariant: `tiered` and `soak_params` make
both from one test (a fixture or test parameter: the full one marked soak).
"""

from __future__ import annotations

import os

SOAK = os.environ.get("PATHRANK_TEST_TIER", "") == "soak"


def examples(full: int, fast: int | None = None) -> int:
    """Hypothesis examples for this tier: `full` in soak, `fast` (default a fifth, at least
    5) in `make test`."""
    if SOAK:
        return full
    return fast if fast is not None else max(5, full // 5)


def tiered(fast: object, full: object, name: str = "") -> list[object]:
    """Two fixture parameters: `fast` for `make test`, `full` marked soak (`make soak`)."""
    import pytest

    return [
        pytest.param(fast, id=f"{name}fast"),
        pytest.param(full, id=f"{name}full", marks=pytest.mark.soak),
    ]


def soak_params(values: tuple[object, ...], fast: tuple[object, ...], prefix: str) -> list[object]:
    """One fixture parameter a value, those not in `fast` marked soak."""
    import pytest

    return [
        pytest.param(v, id=f"{prefix}{v}", marks=() if v in fast else pytest.mark.soak)
        for v in values
    ]
