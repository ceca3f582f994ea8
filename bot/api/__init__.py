"""Integrations: the HTTP API under /api/v1 on the runtime's web server, the webhook transport
that posts signed events to subscribers, and the Rasa action server (bot.api.rasa)."""
