"""The web console: the board, tickets, figures and enterprises for those who oversee the closed
loop from a desk (dispatchers, heads, leadership), served under /console on the runtime's one web
server. Server-rendered (Jinja2, autoescaped), no build step; actions go through the same handlers
as the chat commands, and what they say goes out through the outbox. A layer beside the channels:
it speaks HTTP and imports storage only through its protocols."""
