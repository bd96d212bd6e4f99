"""The analysis run aggregate: what `pathrank analyze` reads, computes and writes back."""
