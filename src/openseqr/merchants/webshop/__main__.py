"""`python -m openseqr.merchants.webshop serve …` (the same as `openseqr webshop serve …`)."""

from .cli import webshop

if __name__ == "__main__":
    webshop(prog_name="openseqr webshop")
