"""Mediashelf: a self-hosted library server for your own photos and videos."""

__version__ = "0.1.0"
