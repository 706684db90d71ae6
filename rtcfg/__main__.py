"""``python -m rtcfg`` runs the command line."""

from rtcfg.cli import main

main()
