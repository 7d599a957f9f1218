"""Validation: rules with stable codes over the compiled IR."""
