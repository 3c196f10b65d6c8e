from workbench.cli.entry import run

run()
