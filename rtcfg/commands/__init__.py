"""The commands as plain typed functions wiring the pipeline stages; ``rtcfg.cli`` only parses,
calls one of them and prints what it returns.

One module per command: ``validate`` (+ ``validate_online``), ``plan``, ``apply`` (with
``safety``, the saved plan's checks against live state), ``import_``, ``status``,
``segments``, ``schema``, and guided setup's ``discover``, ``init`` and ``report``. Shared:
``session`` (``ApiSession``, the one way a command runs its API work), ``desired`` (the config
files of a plan) and ``output`` (files a command writes). Modules import what they use at the
top; the cli imports a command's module only when that command runs (start-up time).
"""
