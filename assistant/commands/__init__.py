"""The ``porte-voix`` subcommands beyond the core ones of ``assistant/cli.py``: administration
(``admin``), digests (``digest``) and engagement (``engagement``). Each module adds its argparse
subparsers and runs them; ``cli.py`` itself stays at the top of ``assistant`` so that the
installed ``porte-voix`` script and ``python -m assistant.cli`` keep their names.
"""
