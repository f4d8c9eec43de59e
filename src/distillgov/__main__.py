from distillgov.cli import main

main()
