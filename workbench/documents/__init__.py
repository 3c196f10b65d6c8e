"""A project's own documents: conversion, cleaning, passages, full-text search and context.

``records`` adds, excludes and deletes documents; ``convert``, ``cleaning`` and ``chunking``
turn a file into clean passages; ``search`` is the database's full-text engine; ``context``
fills a template's context variable with the best passages; ``readiness`` summarises the
store and exports it.
"""
