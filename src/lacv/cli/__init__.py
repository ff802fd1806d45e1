"""The ``lacv`` command: thin wrappers over the library.

Subcommands live one per module and are imported only when used, so
``lacv --help`` and ``lacv solve`` start quickly without loading OpenCV or
scikit-learn. To add a command, add its module and a line to ``COMMANDS``.

Exit status: 0 on success, 2 on bad input or a usage error (a one-line
message on stderr, no traceback), 1 on an internal error.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from lacv import __version__
from lacv.errors import LacvError

__all__ = ["COMMANDS", "cli", "main"]

#: subcommand name -> "module:attribute" of its click command
COMMANDS: dict[str, str] = {
    "calibrate": "lacv.cli.calibrate:calibrate",
    "demo": "lacv.cli.demo:demo",
    "estimate": "lacv.cli.estimate:estimate",
    "solve": "lacv.cli.solve:solve",
    "stitch": "lacv.cli.stitch:stitch",
    "train": "lacv.cli.train:train",
    "two-view": "lacv.cli.twoview:twoview",
    "evaluate": "lacv.cli.train:evaluate",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when it runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lacv")
def cli() -> None:
    """lacv — linear algebra for computer vision and AI.

    Every command runs on built-in example data when given no input files.
    """


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    # OpenCV logs decoder warnings ('PNG input buffer is incomplete') straight to stderr, a
    # second line beside lacv's own message; the user's setting wins where there is one
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    try:
        cli.main(args=argv, prog_name="lacv", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("lacv: aborted", err=True)
        return 130
    except click.ClickException as exc:
        # usage errors: click's message on one line, like every other error (exc.show() printed
        # the usage line, a 'Try --help' line and a blank line before it)
        no_args = getattr(click.exceptions, "NoArgsIsHelpError", ())
        if no_args and isinstance(exc, no_args):  # a bare 'lacv' (or group): the help text
            exc.show()
            return 2
        hint = ""
        if isinstance(exc, click.UsageError):
            path = exc.ctx.command_path if exc.ctx is not None else "lacv"
            hint = f" (see '{path} --help')"
        click.echo(f"lacv: error: {_one_line(exc.format_message())}{hint}", err=True)
        return 2
    except (LacvError, OSError) as exc:
        click.echo(f"lacv: error: {_one_line(exc)}", err=True)
        return 2
    except MemoryError as exc:
        # options such as --hidden 100000000 ask for more memory than there is: the input's fault
        click.echo(f"lacv: error: out of memory ({_one_line(exc) or 'MemoryError'}); the inputs "
                   "or options ask for more memory than this machine has", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("lacv: interrupted", err=True)
        return 130
    except Exception as exc:  # an internal error: a bug, so show where it happened
        if os.environ.get("LACV_DEBUG"):
            raise
        click.echo(
            f"lacv: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(set LACV_DEBUG=1 for the traceback, and please report it)",
            err=True,
        )
        return 1
    return 0


def _one_line(exc: BaseException | str) -> str:
    text: Any = exc
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    return " ".join(str(text).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
