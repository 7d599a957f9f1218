"""Analysis: derived views of the IR (a networkx graph) for rules and renderers."""
