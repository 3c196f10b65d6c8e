"""Running prompt versions on models: the plan of cells, one cell's call, the concurrent runner, live progress and stored outputs."""
