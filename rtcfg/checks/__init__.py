"""rtcfg.checks."""
