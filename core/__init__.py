"""The bottom rung of the ladder (core ← catalog ← tenders ← broker ← config):
what every app shares — the one domain error, the change feed, uploads,
numbers and money, HTML and API helpers. It imports no other app."""
