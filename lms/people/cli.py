import click
from flask.cli import AppGroup

people_cli = AppGroup("people", help="Skoler og personer.")
