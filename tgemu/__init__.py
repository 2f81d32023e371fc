"""An emulated Telegram Bot API with Telegram's rules, for tests and the sandbox.

`state.BotApiState` holds the world (`world`) and answers the Bot API methods (`methods`)
under Telegram's rules (`html`, `rules`, `flood`); `request.FakeRequest` plugs it into
python-telegram-bot in-process and `server` serves it over HTTP on 127.0.0.1 (aiohttp, the
`sandbox` extra). It never imports the bot: it judges what the bot sends by Telegram's
documentation alone.
"""
