"""Benchmarks, one module per area (`python -m bench.bench_<area>`)."""
