"""The 0-100 quality score: offline enrichment facts, the score components and their
weights, and the assessment of one lead that combines them. Pure functions, no database."""
