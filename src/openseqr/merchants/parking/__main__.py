"""`python -m openseqr.merchants.parking serve …` (the same as `openseqr parking serve …`)."""

from .cli import parking

if __name__ == "__main__":
    parking(prog_name="openseqr parking")
