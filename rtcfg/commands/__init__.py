"""rtcfg.commands."""
