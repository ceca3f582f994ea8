"""Xiaoer (小二): a chat-first bot for enterprise service hotlines."""


def __getattr__(name: str) -> str:
    # `__version__` is read from the installed metadata on first use: importlib.metadata costs a
    # noticeable part of `xiaoer --help`, which every module of the package would otherwise pay.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xiaoer")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"
