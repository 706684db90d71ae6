"""rt_config.yaml → ``Config``: reading, YAML, ``${VAR}``, text hygiene and the pydantic models.
Parsing only (``rtcfg.config.load``); it knows no API and calls no check (``rtcfg.checks``)."""
