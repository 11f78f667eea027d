"""Benchmarks (throughput, latency, detection quality) and the scenario generator. Not tests."""
