"""The product's error types: one per seam, plus configuration."""


class MonitorError(Exception):
    """An error worded for an operator; the CLI prints it as one line."""


class ConfigError(MonitorError):
    """A setting is missing or invalid."""
