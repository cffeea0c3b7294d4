from mediashelf.cli import main

main()
