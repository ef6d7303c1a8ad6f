"""The `swift` papermill engine: nbclient execution, present so papermill loads this package, plus signing.

Papermill 2.7 loads the `papermill.engine` entry-point group when `papermill.engines` is imported but
reads no group for translators, so this entry point is how the Swift translator gets registered.
The engine delegates to papermill's own nbclient engine, imported only when used: papermill loads this
module while `papermill.engines` itself is still being imported.

`papermill --engine swift` also signs the executed notebook as `jupyter trust` does (your key and
signature database in the Jupyter data folder), so JupyterLab renders its SVG and HTML outputs as the
kernel produced them instead of treating them as untrusted. `PAPERMILL_SWIFT_SIGN=0` turns that off.
"""

import logging
import os

from . import register

register()


class SwiftEngine:
    """Executes like papermill's default `nbclient` engine (`papermill --engine swift` is the same)."""

    @staticmethod
    def _nbclient():
        from papermill.engines import NBClientEngine

        return NBClientEngine

    @classmethod
    def execute_notebook(cls, *args, **kwargs):
        nb = cls._nbclient().execute_notebook(*args, **kwargs)
        if os.environ.get("PAPERMILL_SWIFT_SIGN", "1") != "0":
            sign(nb)
        return nb

    @classmethod
    def nb_kernel_name(cls, nb, name=None):
        return cls._nbclient().nb_kernel_name(nb, name)

    @classmethod
    def nb_language(cls, nb, language=None):
        return cls._nbclient().nb_language(nb, language)


def sign(nb):
    """Records `nb`'s signature in the user's trust database; papermill then writes exactly this content.

    A notebook that failed or a database that cannot be written is left unsigned (logged, not raised):
    signing is a convenience, the outputs are the result.
    """
    from nbformat.sign import NotebookNotary

    try:
        NotebookNotary().sign(nb)
    except Exception as error:  # a read-only data folder, a locked database
        logging.getLogger("papermill").warning("papermill-swift: could not sign the notebook: %s", error)
