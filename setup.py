"""Build configuration that pyproject.toml cannot express: the optional C extension.

Everything else (metadata, version, packages) is in pyproject.toml. The extension
``sse_post._speedups`` is optional: where no C compiler works, the build warns and
goes on, and sse_post runs on its pure-Python parser.
"""

from __future__ import annotations

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "sse_post._speedups",
            sources=["sse_post/_speedups.c"],
            optional=True,
        )
    ]
)
