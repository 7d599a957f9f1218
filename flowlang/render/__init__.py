"""Renderers: flow diagrams through Graphviz (graph.py) and the prompt sheet for voice talent (prompts.py)."""
