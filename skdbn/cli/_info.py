"""``skdbn info``: describe a model file."""

from .. import __version__
from ..io import audit
from ._files import load_model
from ._messages import EXIT_OK, short


def add_parser(subparsers):
    info = subparsers.add_parser("info", help="describe a model file")
    info.add_argument("model", metavar="MODEL")
    info.set_defaults(run=run)


def run(args):
    model, meta = load_model(args.model)
    final = model.steps[-1][1]
    print(
        f"file          {args.model} (skops format; {len(audit(args.model)[0])} "
        "types, all trusted)"
    )
    print(f"model         {' -> '.join(type(s).__name__ for _, s in model.steps)}")
    print(f"task          {meta['task'] or 'unsupervised'}")
    names = meta["feature_names"]
    print(f"features      {len(names)}: {short(names, 8)}")
    if meta["target_name"] is not None:
        name, index = meta["target_name"], meta["target_column"]
        print(f"target        {name!r} (column index {index})")
    if hasattr(final, "classes_"):
        print(f"classes       {short(final.classes_)}")
    for name, step in model.steps:
        if hasattr(step, "regressor_"):  # the CLI standardises regression targets
            print(f"  {name:<10}  {type(step).__name__}: standardised targets")
            name, step = "", step.regressor_
        params = step.get_params(deep=False)
        keys = [
            k
            for k in ("hidden_layer_sizes", "n_components", "visible_units")
            if k in params
        ]
        desc = ", ".join(f"{k}={params[k]}" for k in keys)
        print(f"  {name:<10}  {type(step).__name__}({desc})")
        curves = getattr(step, "pretraining_curves_", None)
        if hasattr(step, "rbms_"):  # DBNTransformer: every layer is an RBM
            curves = [rbm.loss_curve_ for rbm in step.rbms_]
        for i, c in enumerate(curves or []):
            error = f", reconstruction error {c[-1]:.4g}" if c else " (interrupted)"
            print(f"    pre-training layer {i + 1}: {len(c)} epochs{error}")
        curve = getattr(step, "loss_curve_", None)
        if curve:
            # An RBM's curve is its reconstruction error, not a training loss.
            what = "reconstruction error" if hasattr(step, "components_") else "loss"
            print(f"    training: {len(curve)} epochs, final {what} {curve[-1]:.4g}")
    print(
        f"trained on    {meta['trained_on']} ({meta['n_samples']} rows, "
        f"{meta['fit_seconds']} s, {meta['created']})"
    )
    what = "accuracy" if meta["task"] == "classification" else "R2"
    if "training_score" in meta:
        print(f"training {what}  {meta['training_score']:.4f}")
    if "validation_score" in meta:
        print(f"validation {what}  {meta['validation_score']:.4f} (held-out rows)")
    print(f"skdbn         written by {meta.get('skdbn_version', __version__)}")
    return EXIT_OK
