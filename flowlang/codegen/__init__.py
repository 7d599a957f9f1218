"""Code generation for deployment targets (Asterisk dialplan and ARI config) and its config linter."""
