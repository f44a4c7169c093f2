"""A sourced, time-aware map of US military force posture in the Middle East."""

__version__ = "0.1.0"
