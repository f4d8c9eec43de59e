"""Data subjects' requests: access, deletion, correction and opt-out, with the clocks of each
jurisdiction profile, an append-only hash-chained trail, and duties that follow a model's
lineage downstream (framework policies table, privacy row)."""
