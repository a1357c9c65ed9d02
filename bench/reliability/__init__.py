"""Reliability and security harnesses (issue 7): crash, concurrency, hostile input, access, load.

The reduced forms run in `make test` (`tests/reliability/`); the full forms run with
`python -m bench.reliability` and write their figures to `docs/reliability.md`.
Everything here talks to loopback addresses only and every loop is bounded.
"""
