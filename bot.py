"""Start HTX Advisor: `python bot.py` (long polling) or `python bot.py --webhook-url URL`;
without a token, or with `--sandbox`, the sandbox (a local Telegram and a chat page)."""

from advisor.telegram.main import main

if __name__ == "__main__":
    raise SystemExit(main())
