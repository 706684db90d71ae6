"""rtcfg.model."""
