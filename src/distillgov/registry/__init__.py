"""The transparency registry: model lineage in a tamper-evident, verifiable log."""
