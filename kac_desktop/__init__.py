"""kac_desktop: key-account management for postal branch offices."""

__version__ = "0.2.0"
