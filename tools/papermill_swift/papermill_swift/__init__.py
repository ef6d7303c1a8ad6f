"""Papermill support for Swift kernels: parameters injected as Swift `let` constants.

Importing the package registers `SwiftTranslator` for the kernel `swift-lstm` and the language `swift`.
Papermill imports it by itself at start-up through this package's `papermill.engine` entry point.
"""

from .translator import SwiftTranslator, register, swift_type

register()

__all__ = ["SwiftTranslator", "register", "swift_type"]
