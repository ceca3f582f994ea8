"""Xiaoer (小二): a chat-first bot for enterprise service hotlines."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("xiaoer")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
