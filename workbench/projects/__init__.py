"""Projects: the use case a set of prompts serves (user story, five P's), its KPIs and its figures at a glance."""
