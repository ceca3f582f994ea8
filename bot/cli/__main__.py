"""`python -m bot.cli`: the `xiaoer` command without its installed script."""

from bot.cli import main

main()
