"""fanbind: plain-text fan fiction in, anthology EPUB and print PDF out."""

__version__ = "0.1.0"
