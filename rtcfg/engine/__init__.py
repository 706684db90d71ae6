"""rtcfg.engine."""
