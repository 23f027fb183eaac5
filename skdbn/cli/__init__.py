"""The ``skdbn`` command: demo, fit, predict, evaluate, sample, info.

Every user error (a missing file, a malformed CSV, an unknown column, a file that
is not a skdbn model or is damaged, a bad option value, a folder that does not
exist) is reported as one line on stderr with exit code 2, never a traceback
(option errors follow argparse's usage line); a degenerate model (a fit that
diverged, a classifier that predicts one class for every training row) exits
with code 3 and one line, and ``fit`` writes no file for it unless given
``--allow-degenerate``; messages and warnings
name the command's options (``--epochs``), not the estimators' parameters. CSV
files are read by :func:`skdbn.datasets.load_csv`, model files written and read
by :mod:`skdbn.io` (skops' secure format), and training reports its epochs to the
progress bar through :func:`skdbn.on_epoch`.

One module per command (``_fit``, ``_predict``...), each with
``add_parser(subparsers)`` and ``run(args)``; :func:`build_parser` registers
them. Shared pieces: ``_files`` (CSV tables and model files), ``_messages``
(exit codes, errors and warnings in the options' terms) and ``_options``
(option types).
"""

import argparse
import os
import sys

from .. import __version__
from .._progress import Progress
from ..exceptions import DivergenceError
from . import _demo, _device, _evaluate, _fit, _info, _predict, _sample
from ._messages import (
    EXIT_DEGENERATE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    in_cli_terms,
)

# In the order `skdbn -h` lists them.
COMMANDS = (_demo, _fit, _predict, _evaluate, _sample, _info)


def build_parser():
    """The ``skdbn`` argument parser, with a subcommand per module of COMMANDS."""
    parser = argparse.ArgumentParser(
        prog="skdbn",
        description="Restricted Boltzmann Machines and Deep Belief Networks for "
        "scikit-learn users.",
        epilog="Run `skdbn COMMAND -h` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"skdbn {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv=None):
    """Run the ``skdbn`` command; returns the exit code (0 success, 2 a user
    error, 3 a degenerate model, 130 interrupted by Ctrl-C). A Ctrl-C during
    the last stage of training (fine-tuning; a generative model's last layer)
    keeps the last complete epoch and ``fit`` saves the model; a Ctrl-C before
    that stage has completed an epoch writes no model file and returns 130.
    Options that argparse itself rejects (an unknown option, a value of the
    wrong type or out of range) raise ``SystemExit(2)`` after argparse's usage
    line, as in any argparse program."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None:  # the command line itself, not a call from Python
        _device.restart_with_array_api(args)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `skdbn predict ... | head` (before OSError)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"skdbn {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DivergenceError as exc:  # before ValueError, its base class
        print(f"skdbn {args.command}: diverged: {in_cli_terms(exc)}", file=sys.stderr)
        return EXIT_DEGENERATE
    except (UsageError, ValueError, OSError) as exc:
        # Bad values in the data or the options, a file that cannot be
        # written: one line the user can act on.
        print(f"skdbn {args.command}: error: {in_cli_terms(exc)}", file=sys.stderr)
        return EXIT_USAGE


__all__ = ["Progress", "UsageError", "build_parser", "main"]
