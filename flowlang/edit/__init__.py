"""The web editor's Python side: edits as data on the AST (`ops`), the graph view the browser draws
(`graph`), analysis of a flow's text (`document`), test calls (`calls`) and the HTTP API (`server`).

The browser never parses flow text: every edit comes here as an op or as text, and goes back as
canonical text printed by `flowlang.fmt`, with the graph, the IR and the diagnostics.
"""
