"""Widgets of the Settings page and the data-policy checks shown before anything is sent."""
