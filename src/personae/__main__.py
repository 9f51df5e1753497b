from personae.cli.main import main

main()
