"""Benchmark scripts: run each from the project folder as a module, e.g.
``python -m bench.import_bench`` (the Makefile's ``make bench*`` targets do)."""
