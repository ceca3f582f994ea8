"""The Telegram channel: the adapter (updates in), the transport (outbox rows out, Bot API limits
honoured), reach checks, and its config section. Only this package imports aiogram."""
