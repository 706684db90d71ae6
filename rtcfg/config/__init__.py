"""rtcfg.config."""
