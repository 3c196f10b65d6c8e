"""Reads across the whole library: the prompt library table, the Insights charts' frames and a prompt's rated history."""
