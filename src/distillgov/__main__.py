from distillgov.cli.app import main

main()
