"""csp-assess: the crime and disorder strategic assessment from police offence extracts."""

__version__ = "0.1.0"
