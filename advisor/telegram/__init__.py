"""The python-telegram-bot adapter: thin handlers over the channel-free core."""
