"""`python -m usage_analytics ...`: the same as the `usage-analytics` command."""

from usage_analytics.console import entry

entry()
