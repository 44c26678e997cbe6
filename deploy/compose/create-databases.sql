-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d).
-- Each service owns its database; none reads another's tables.
CREATE DATABASE desks;
CREATE DATABASE products;
CREATE DATABASE lessons;
CREATE DATABASE partnerships;
