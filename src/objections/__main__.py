from objections.cli import main

main()
