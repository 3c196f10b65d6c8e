"""Widgets of the Project page: the use-case forms and the KPI dashboard."""
