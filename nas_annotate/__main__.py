"""`python -m nas_annotate` is the `nas-annotate` command."""

from .cli import run

if __name__ == "__main__":
    run(prog_name="nas-annotate")
