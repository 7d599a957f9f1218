"""flowlang: telephone call flows as code."""

__version__ = "0.1.0"
