"""The search aggregate: queries as stored, their figures, and content gaps."""
