#!/usr/bin/env python3
"""An EPUB's text as a reader app or a converter gets it: EbookLib (PyPI) opens the book, walks its spine in
order, and lxml takes each chapter's text. Used to check that a buyer's downloaded edition still traces when
its text is taken out by someone else's tools. Usage: epub_text.py BOOK.epub > text"""
import sys

import ebooklib
import lxml.html
from ebooklib import epub

book = epub.read_epub(sys.argv[1])
for idref, _ in book.spine:
    item = book.get_item_with_id(idref)
    if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
        continue
    sys.stdout.write(lxml.html.fromstring(item.get_content()).text_content())
    sys.stdout.write("\n")
