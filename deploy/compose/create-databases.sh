#!/bin/sh
# Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d),
# as the superuser: one database per service, owned by that service's own login role
# (password from <SERVICE>_DB_PASSWORD), so no service can read another's tables and
# none runs as the superuser. tests/integration/test_compose_processes.py runs it too.
set -eu
for service in desks products lessons partnerships notifications insights; do
    password=$(printenv "$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD")
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v service="$service" -v password="$password" <<'SQL'
CREATE ROLE :"service" LOGIN PASSWORD :'password';
CREATE DATABASE :"service" OWNER :"service";
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
SQL
done
