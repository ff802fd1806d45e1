"""``python -m lacv`` runs the command line."""

from lacv.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
