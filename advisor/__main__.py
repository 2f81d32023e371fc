"""`python -m advisor` runs the command line."""

from advisor.cli import main

if __name__ == "__main__":  # not when a worker process (the chart renderer) imports this module
    raise SystemExit(main())
