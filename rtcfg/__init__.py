"""rtcfg: configuration as code for Treasure Data real-time CDP (RT 2.0)."""

__version__ = "0.1.0"
