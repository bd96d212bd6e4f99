"""The read side's pure parts: keyset cursors and path statistics from sums."""

from __future__ import annotations

import contextlib
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_model.keyset import InvalidCursorError, decode_cursor, encode_cursor
from graph_model.path.record import path_stats_from_sums

keys = st.one_of(
    st.tuples(st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40)),
    st.tuples(st.integers(-(2**63), 2**63 - 1), st.text(max_size=40)),
)


@given(keys)
def test_cursor_round_trip(key: tuple[float | int, str]) -> None:
    types = (float if isinstance(key[0], float) else int, str)
    cursor = encode_cursor("page:PAGE_RANK", key)
    assert decode_cursor("page:PAGE_RANK", cursor, types) == key


def test_cursor_of_another_ordering_or_shape_is_refused() -> None:
    cursor = encode_cursor("page:PAGE_RANK", (0.5, "p1"))
    with pytest.raises(InvalidCursorError):
        decode_cursor("page:VISITS", cursor, (float, str))
    with pytest.raises(InvalidCursorError):
        decode_cursor("page:PAGE_RANK", cursor, (str, str))
    with pytest.raises(InvalidCursorError):
        decode_cursor("page:PAGE_RANK", cursor, (float,))
    with pytest.raises(InvalidCursorError):  # bools are not numbers here
        decode_cursor("s", encode_cursor("s", (True,)), (int,))  # type: ignore[arg-type]
    with pytest.raises(InvalidCursorError):  # beyond Neo4j's 64-bit integers
        decode_cursor("s", encode_cursor("s", (2**64 - 1,)), (int,))
    with pytest.raises(InvalidCursorError):
        decode_cursor("s", "x" * 1000, (int,))


@given(st.text(max_size=300))
def test_any_text_decodes_or_is_refused_cleanly(text: str) -> None:
    with contextlib.suppress(InvalidCursorError):
        decode_cursor("page:ID", text, (str,))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["RESOLVED", "ABANDONED", "OPEN"]),
            st.integers(1, 40),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_path_stats_from_sums_match_the_definitions(
    paths: list[tuple[str, int, bool]],
) -> None:
    sums: dict[str, tuple[int, int, int, int]] = {}
    for outcome, length, turned in paths:
        n, s, ss, t = sums.get(outcome, (0, 0, 0, 0))
        sums[outcome] = (n + 1, s + length, ss + length * length, t + turned)
    stats = path_stats_from_sums(sums)
    completed = [p for p in paths if p[0] != "OPEN"]
    lengths = [p[1] for p in completed]
    assert stats.completed == len(completed)
    assert stats.resolved == sum(p[0] == "RESOLVED" for p in paths)
    assert stats.abandoned == sum(p[0] == "ABANDONED" for p in paths)
    assert stats.open == sum(p[0] == "OPEN" for p in paths)
    if completed:
        assert stats.mean_length == pytest.approx(statistics.fmean(lengths))
        assert stats.variance_length == pytest.approx(statistics.pvariance(lengths), abs=1e-9)
        assert stats.turnaround_rate == pytest.approx(sum(p[2] for p in completed) / len(completed))
        assert stats.self_service_rate == pytest.approx(stats.resolved / len(completed))
    else:
        assert stats.mean_length is stats.variance_length is stats.self_service_rate is None
    for outcome_stats in stats.by_outcome:
        own = [p[1] for p in paths if p[0] == outcome_stats.outcome]
        assert outcome_stats.paths == len(own)
        if own:
            assert outcome_stats.variance_length == pytest.approx(
                statistics.pvariance(own), abs=1e-9
            )


def test_seed_scenario_path_stats() -> None:
    # The sample scenario (docs/paths.md): lengths 3 and 2, both resolved: mean 2.5, var 0.25.
    stats = path_stats_from_sums({"RESOLVED": (2, 5, 13, 0)})
    assert (stats.mean_length, stats.variance_length, stats.self_service_rate) == (2.5, 0.25, 1.0)
