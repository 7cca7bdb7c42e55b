"""Allow ``python -m csp_assess``."""

from csp_assess.cli import main

main()
