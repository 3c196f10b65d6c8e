"""Where answers come from: provider adapters (one file each), endpoints and their models, prices, model lists and connection tests."""
