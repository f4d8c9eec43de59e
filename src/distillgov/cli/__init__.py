"""The command line: one module per part, wired by `app.py`."""
