from ingress2gw.cli import main

main()
