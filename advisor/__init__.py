"""HTX Advisor: a patient advisor for Vietnam's cooperatives, on Telegram.

The core (knowledge, matching, assessment, storage, broadcasts) knows nothing of
Telegram; `advisor.telegram` adapts it to python-telegram-bot.
"""

__version__ = "0.1.0"
