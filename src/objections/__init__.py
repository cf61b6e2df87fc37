"""objections: mine sales-call recordings for buyer objections and turn them into content."""

__version__ = "0.1.0"
