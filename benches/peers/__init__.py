"""The columnar benchmarks' pieces: the data, the peers (polars, duckdb, numpy) computing the
same analytics as usage_analytics, the agreement checks, the memory probe and the report.

Imported by `benches/test_bench_columnar.py` (conftest.py puts `benches/` on `sys.path`).
"""
