"""`python -m fieldapp …` is the `fieldapp` command (how `serve` starts its escalator with the same interpreter)."""

from .cli import main

main()
