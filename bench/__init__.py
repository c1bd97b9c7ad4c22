"""Benchmarks of the job and the API, each run as ``python -m bench.<name>``."""
