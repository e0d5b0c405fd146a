"""Reference merchant systems built only on the public merchant SDK (`openseqr.sdk`).

Each package here is a separate merchant system: it talks to a SEQR server over SOAP through the
SDK, keeps its own data, and imports nothing of the server (import-linter contract).
"""
