"""The test suite; `tests.support` holds the helpers the tests and the benchmarks share."""
