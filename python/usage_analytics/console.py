"""The `usage-analytics` command's entry point (`[project.scripts]`).

It imports the command line only once it runs: Ctrl-C during those imports (a quarter of
a second of pydantic, numpy and the core) then ends the command as Ctrl-C during its work
does, with one line and status 130, where Python's wrapper script would print the
traceback of an import it was in the middle of.
"""

from __future__ import annotations

import sys
from typing import NoReturn


def entry() -> NoReturn:
    """Run the command (`usage_analytics.cli.entry`)."""
    try:
        from usage_analytics.cli import entry as run_command
    except KeyboardInterrupt:
        # (`cli.common` holds these; it cannot be imported here without what it imports.)
        if sys.stderr is not None:
            sys.stderr.write("usage-analytics: error: interrupted\n")
        sys.exit(130)
    run_command()
