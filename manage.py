#!/usr/bin/env python
import sys


def main() -> None:
    # The launcher starts the embedded PostgreSQL and Redis when DATABASE_URL /
    # REDIS_URL are unset (settings start nothing), then runs Django's command.
    from config.launcher import execute_manage

    execute_manage(sys.argv)


if __name__ == "__main__":
    main()
