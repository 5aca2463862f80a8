"""The player: script API for bots and IVR, the operator's player page and channel renderers."""
