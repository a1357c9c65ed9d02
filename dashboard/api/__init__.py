"""The HTTP API `/api/v1`: jobs (submit, status, result, cancel) and read routes.

JSON in and out; errors are `{"error": {"code", "message": {"zh", "en"}}}`.
Every call is authenticated by a bearer token and checked by the same
`require(user, action, unit)` as the dashboard.
"""
