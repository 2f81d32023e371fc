"""Start HTX Advisor: `python bot.py` (long polling) or `python bot.py --webhook-url URL`."""

from advisor.telegram.main import main

if __name__ == "__main__":
    raise SystemExit(main())
