"""Message understanding: turn a chat message into intent, category, urgency and entities."""
