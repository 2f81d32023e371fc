"""Try the bot without Telegram: `python -m advisor sandbox` or `python bot.py --sandbox`.

`runner` starts the Bot API emulator, the real bot polling it over HTTP, and a web chat page
(`static/`) on 127.0.0.1 in one process; `running()` is the same as an async context manager
for tests.
"""

from advisor.sandbox.runner import PERSONAS, Persona, Sandbox, main, running

__all__ = ["PERSONAS", "Persona", "Sandbox", "main", "running"]
