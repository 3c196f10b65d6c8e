"""Widgets of the Compare page: its inputs, the Run button, the streaming output grid, ratings on the grid and the run summary."""
