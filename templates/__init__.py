"""Message templates (one per message, each citing its rule) and the web page templates.

A package so that the wheel ships them as package data: the service finds them beside this
file whether it runs from a checkout or from an installed wheel."""

from importlib.resources import files
from pathlib import Path

DIRECTORY = Path(str(files(__name__)))
