"""Jobs: the office's long work, run by `gridscore serve` on its own threads.

`store` reads and writes the `jobs` table, `tasks` holds the work itself (the
functions the CLI also calls in-process), `kinds` says which task a job kind runs
and whether it writes, and `runner` runs them: one writing job at a time in
order, reads in parallel, progress and cancel through a `JobContext`.
"""
