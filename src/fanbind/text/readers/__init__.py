"""Readers for story files that are not plain text: HTML, EPUB and Markdown.

Each reader turns a file into the :class:`~fanbind.text.structure.parser.ParsedStory`
the plain-text structure stage makes, so typography, lint, the renderer and the
cache never know which format a story came in. :mod:`.detect` chooses the reader.
"""
