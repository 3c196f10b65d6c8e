"""Demo content seeded on first start, so a newcomer sees a populated workbench with offline models."""
