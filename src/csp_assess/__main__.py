"""Allow ``python -m csp_assess``."""

from csp_assess.cli import console_main

console_main()
