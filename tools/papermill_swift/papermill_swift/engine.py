"""The `swift` papermill engine: plain nbclient execution, present so papermill loads this package.

Papermill 2.7 loads the `papermill.engine` entry-point group when `papermill.engines` is imported but
reads no group for translators, so this entry point is how the Swift translator gets registered.
The engine delegates to papermill's own nbclient engine, imported only when used: papermill loads this
module while `papermill.engines` itself is still being imported.
"""

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
        return cls._nbclient().execute_notebook(*args, **kwargs)

    @classmethod
    def nb_kernel_name(cls, nb, name=None):
        return cls._nbclient().nb_kernel_name(nb, name)

    @classmethod
    def nb_language(cls, nb, language=None):
        return cls._nbclient().nb_language(nb, language)
