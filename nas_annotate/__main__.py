"""`python -m nas_annotate` is the `nas-annotate` command."""

from .entry import main

if __name__ == "__main__":
    main()
