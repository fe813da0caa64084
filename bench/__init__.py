"""Benchmarks of chat-server built on chat-loadtest (run as python -m bench.modes)."""
