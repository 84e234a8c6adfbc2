"""The ``csmetrics`` command line: thin commands that call the Workspace and render."""
