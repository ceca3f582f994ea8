"""The WeCom (企业微信) channel: the callback adapter, message crypto, the API client, the transport
for app messages and group robots, and its config section. Only this package imports cryptography."""
