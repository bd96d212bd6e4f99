"""What profiling the API found and what its fixes changed, measured by hand when they
landed (BENCHMARKS.md "API"): prose `bench.api_latency` adds to its section."""

RESPONSE_CACHE = """\
Response cache. A cached answer still reads the graph's data version (one tiny auto-commit
query, which every write our software makes changes in its own transaction) and then skips
parsing, validation, resolving, the read model's statements and JSON encoding: the server's
CPU per request drops to the HTTP layer, the version read and the lookup, the same for all
three reads. The first request after any write (an ingest batch, a catalog upsert, an
analysis run, a clear) executes as in the uncached column; so does every query not seen
since the last write. docs/api.md "Response cache" has the semantics.
"""

PROFILE_AND_FIX = """\
Profile and fix. `py-spy record` on `pathrank serve` under 16 concurrent `weakPages` (wrk)
found the server's one Python process to be the limit, at ~3-4.6 ms of CPU per request
against ~2 ms in Neo4j. In its samples: the driver's managed transaction (BEGIN, RUN +
PULL, COMMIT: two flushes and round trips; ~12% in BEGIN/COMMIT alone), fourteen
DataLoaders made per request where a read uses one or two (~5%), stdlib `json` (~2%), and
for p99 the garbage collector: each full collection re-scanned the ~200k objects that live
as long as the server (schema, libraries), a 100-250 ms stop of the event loop every few
seconds under load. Changed: the read model runs auto-commit reads (RUN + PULL in one
flush), loaders are made on first use, orjson encodes responses, uvloop and httptools are
dependencies, the page projection reads only what `PageRecord` holds, and `pathrank serve`
freezes its start-up heap (`gc.freeze()`) before serving.

What limits it now. With the fixes, the server's CPU per request is ~32-40% the driver
(sending, receiving and unpacking the rows: the work the raw client does too), ~30-35%
graphql-core + Strawberry resolving the fields (~5 us a field; `pages(first: 50)` has
250), ~10-14% uvicorn (two socket writes per response) and ~10% building records. On this shared
2-CPU machine every process gets a slice of a core, so a read's throughput follows its
Python process's CPU per request, and GraphQL/raw is close to server CPU / raw client CPU
(table above): ~2.4x for `page(id)`, ~4x for `weakPages`, ~5x for `pages(first: 50)`.
Meeting 2x would take the HTTP and GraphQL layers costing no more than the driver itself;
uncached p99 < 50 ms at 16 depends on the machine: in the busier profiling runs the raw
Cypher floor's own p99 was 30-170 ms.
The next levers are more server processes (uvicorn workers: needs Prometheus multiprocess
metrics and a cross-process analysis lock) and projecting only the selected fields.
"""

BEFORE_AFTER = """\
Before/after (100k clicks, 170 pages, wrk, 5 s per cell, the three servers measured in turn,
medians of two rounds). Each cell: the code before this work as it was installed (asyncio
loop, h11) / the same code on uvloop + httptools / with the fixes. The machine was shared
with other benchmarks, and rounds of the same server differed by up to 2x at p99, so only
large differences mean anything: `page(id)` gained ~30-40% req/s and ~20% server CPU per
request; `weakPages` ~10% CPU; `pages(first: 50)` nothing measurable (its time is in
unpacking and resolving 50 pages, which none of the fixes touched).

{table}
"""


# Measured by hand when the fixes landed (the code before them cannot be benchmarked from
# this one): `python -m bench.api_latency --url ... --pid ...` against three servers side by
# side, two rounds, medians; each cell is original / original on uvloop+httptools / fixed.
BEFORE_AFTER_TABLE = """\
| read | conc. | p50 ms | p99 ms | req/s | server CPU ms/req |
|---|---|---|---|---|---|
| page(id) | 1 | 2.0 / 1.5 / 1.4 | 14 / 14 / 8 | 362 / 550 / 608 | 1.51 / 1.09 / 1.06 |
| page(id) | 16 | 25 / 24 / 16 | 102 / 256 / 102 | 546 / 520 / 780 | 1.23 / 1.34 / 1.01 |
| weakPages | 1 | 4.6 / 3.9 / 3.4 | 23 / 84 / 16 | 174 / 240 / 236 | 2.92 / 2.75 / 2.41 |
| weakPages | 16 | 45 / 51 / 49 | 131 / 212 / 150 | 315 / 264 / 287 | 2.55 / 2.83 / 2.51 |
| pages(first: 50) | 1 | 4.8 / 4.7 / 4.8 | 15 / 42 / 24 | 184 / 180 / 174 | 3.46 / 3.37 / 3.52 |
| pages(first: 50) | 16 | 94 / 87 / 117 | 236 / 467 / 281 | 155 / 156 / 130 | 4.04 / 4.27 / 4.30 |
"""
