"""The Telegram channel: the adapter (updates in), the transport (outbox rows out, Bot API limits
honoured), reach checks, and its config section. Only this package imports aiogram."""

from bot.channels.telegram.lazy_models import install as _install_lazy_models

_install_lazy_models()  # before any module of this package imports aiogram
