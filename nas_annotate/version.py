"""The version of nas_annotate (also the import hook's cache tag)."""

__version__ = "0.1.0"
