from flowlang.cli import main

main()
