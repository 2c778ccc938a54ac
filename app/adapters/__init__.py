"""Adapters at the edges: each an interface with a local implementation and a real one chosen by configuration."""
