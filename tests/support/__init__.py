"""Helpers shared by the test suite: running real servers and talking to them."""
