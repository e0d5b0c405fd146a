from openseqr.cli.main import main

main()
