"""rtcfg.api."""
