"""Fixtures for the contract suites: one store per backend, each on fresh, private storage."""
