"""The Bot API methods the bot uses, each `async (world, params, uploads) -> result`.

`tgemu.state` dispatches to them by name; they raise `ApiError` wherever Telegram would
answer ok=false.
"""
