"""`python -m diffecon`: the same command line as `diffecon`."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
