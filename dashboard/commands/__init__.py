"""CLI command groups, one module per area; `dashboard.cli` registers them."""
