"""Verbatim: a transcript editor for journalists."""

__version__ = "0.1.0"
