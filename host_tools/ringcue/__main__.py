"""`python -m ringcue`: the same as the `ringcue` command."""

from .cli.main import main

main()
