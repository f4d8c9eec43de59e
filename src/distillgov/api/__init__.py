"""The HTTP API (FastAPI): a thin door over the framework, registry and clearinghouse."""
