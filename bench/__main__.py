"""`make bench`: for now the analysis scale run (issue 7 adds ingest, API and freshness).

Wipes the graph of the Neo4j it talks to.
"""

from bench.analysis_scale import main

main([10_000, 100_000])
