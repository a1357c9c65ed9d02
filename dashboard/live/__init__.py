"""The server as the hub: its credential file and the CLI's client for it.

While `gridscore serve` holds the database, no other process may open the file,
so the CLI reaches the data through the server: `credentials` is the file the
server writes next to the database (owner-only) and `client` is how a command
finds it and runs its work on the server, with the same output as in-process.
"""
