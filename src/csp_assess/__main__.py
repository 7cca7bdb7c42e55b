"""Allow ``python -m csp_assess``."""

from csp_assess.launch import console_main

console_main()
