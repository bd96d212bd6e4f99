"""The path aggregate: clicks, paths, turnarounds, path statistics; ingest writes them."""
