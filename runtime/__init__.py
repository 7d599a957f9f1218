"""flowlang runtime: runs compiled flows (IR) against Asterisk ARI or the embedded simulator."""
