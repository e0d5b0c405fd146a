"""openseqr: an open implementation of the SEQR mobile payment system."""

__version__ = "0.1.0"
