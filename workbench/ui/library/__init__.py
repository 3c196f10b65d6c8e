"""Widgets of the Library, Insights and Export pages."""
