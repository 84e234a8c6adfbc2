"""The JSON API: every page's data under /api/, with the same access rules."""
