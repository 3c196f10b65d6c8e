"""The Monitor page's widgets: choosing what to look at, a release beside the one before it, the
per-day chart and table with their CSV, sending answers in use to Review, and the guides."""
