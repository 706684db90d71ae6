"""Every Problem about a Config: offline checks, API limits on the translated body, online checks
against the API. ``rtcfg.checks.validate`` parses a file and runs them; parsing never calls them."""
