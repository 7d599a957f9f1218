"""Re-export of flowlang.registry (the code catalogue lives below the syntax layer)."""

from flowlang.registry import ALIASES, FAMILIES, RULES, Rule, declare, lookup, rule

__all__ = ["ALIASES", "FAMILIES", "RULES", "Rule", "declare", "lookup", "rule"]
