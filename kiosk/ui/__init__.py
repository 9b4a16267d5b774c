"""The kiosk's Qt side: the window, its screens, and the printer's worker thread."""
