"""User-facing errors: printed as one line `ringcue: message`, exit code 2."""

import click


class UserError(click.ClickException):
    exit_code = 2

    def show(self, file=None):
        click.echo(f"ringcue: {self.format_message()}", err=True)
