"""Benchmarks that print their figures beside their references (see bench/README.md)."""
