"""The interface texts the bot uses; `ui.yaml` must define each in Vietnamese and English."""

REQUIRED_UI_KEYS: tuple[str, ...] = ()
