"""Sphinx configuration of skdbn's documentation (offline: no intersphinx)."""

import os
import sys
import warnings

import matplotlib
import scipy.linalg  # noqa: F401  (load SciPy's BLAS before limiting its threads)
from threadpoolctl import threadpool_limits

matplotlib.use("Agg")
sys.path.insert(0, os.path.abspath(".."))

import skdbn

# The gallery runs in this process. Its matrix products are small: one BLAS
# thread is fastest, and on a busy machine more threads can be many times slower.
threadpool_limits(1)

project = "skdbn"
author = "The skdbn developers"
copyright = "2025, The skdbn developers"
release = version = skdbn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
default_role = "literal"

autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

# No network at build time: no intersphinx, and MathJax is only linked, not
# fetched during the build.
html_theme = "furo"
html_title = f"skdbn {version}"
html_static_path = []

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # execute every plot_*.py example
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "doc_module": ("skdbn",),
    "backreferences_dir": "generated/backreferences",
}


# The examples train small models for a few epochs on purpose.
warnings.filterwarnings("ignore", message=".*Maximum iterations.*")
