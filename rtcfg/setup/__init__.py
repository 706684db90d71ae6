"""rtcfg.setup."""
