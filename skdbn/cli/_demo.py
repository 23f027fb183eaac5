"""``skdbn demo``: train a DBN on built-in digits and compare with baselines."""

from ..demo import run_demo


def add_parser(subparsers):
    demo = subparsers.add_parser(
        "demo", help="train a DBN on built-in digits and compare with baselines"
    )
    demo.add_argument(
        "--output",
        default="skdbn-demo",
        metavar="DIR",
        help="folder for the figures (default: ./skdbn-demo)",
    )
    demo.add_argument("--no-figures", action="store_true", help="write no figures")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=run)


def run(args):
    return run_demo(
        output=None if args.no_figures else args.output,
        random_state=args.random_state,
        quiet=args.quiet,
    )
