"""Try the bot without Telegram: `python bot.py` without a token, or `python bot.py --sandbox`.

`runner` starts the Bot API emulator (`tgemu`), the real bot polling it over HTTP, and a web
chat page (`static/`) on 127.0.0.1 in one process; `runner.running()` is the same as an
async context manager for tests.
"""
