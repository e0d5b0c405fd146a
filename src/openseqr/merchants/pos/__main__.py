"""`python -m openseqr.merchants.pos serve …` (the same as `openseqr pos serve …`)."""

from .cli import pos

if __name__ == "__main__":
    pos(prog_name="openseqr pos")
