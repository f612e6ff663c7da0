"""Dialogs of the main window: export, keyword lists, keyboard shortcuts, recovery and relink prompts."""
