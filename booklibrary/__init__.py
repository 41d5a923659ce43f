"""Book Library: a self-hostable home-library app."""

__version__ = "0.1.0"
