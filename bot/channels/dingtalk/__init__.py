"""The DingTalk (钉钉 / 浙政钉) channel: an enterprise-internal app robot, and custom group robots."""
