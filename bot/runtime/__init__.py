"""The running bot: conversations handled in order, the outbox sender, the scheduler, the web server."""
