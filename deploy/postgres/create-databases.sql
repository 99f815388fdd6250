-- Each service owns its database and connects as its own role; none can open another's
-- database, and none is a superuser or may create databases or roles. The same layout as the
-- one `npm start` makes on its embedded PostgreSQL.
--
-- Run as a superuser, with each role's password in the environment (never in this file):
--   INGESTION_DATABASE_PASSWORD=… FEATURE_STORE_DATABASE_PASSWORD=… TRAINER_DATABASE_PASSWORD=… \
--   REGISTRY_DATABASE_PASSWORD=… DEPLOYER_DATABASE_PASSWORD=… MONITOR_DATABASE_PASSWORD=… \
--     psql -v ON_ERROR_STOP=1 -f deploy/postgres/create-databases.sql
-- docker-compose.yml passes them to the postgres container, whose first start runs this file.
-- A password goes into a DATABASE_URL as it is: use URL-safe characters (`openssl rand -hex 24`).
-- Needs psql 15 or later (\getenv).

\getenv ingestion_password INGESTION_DATABASE_PASSWORD
\getenv feature_store_password FEATURE_STORE_DATABASE_PASSWORD
\getenv trainer_password TRAINER_DATABASE_PASSWORD
\getenv registry_password REGISTRY_DATABASE_PASSWORD
\getenv deployer_password DEPLOYER_DATABASE_PASSWORD
\getenv monitor_password MONITOR_DATABASE_PASSWORD

-- A variable left unset is not substituted, and the statement fails on the literal `:'…'`.
CREATE TEMPORARY TABLE service_roles (name text PRIMARY KEY, password text NOT NULL CHECK (length(password) >= 16));
INSERT INTO service_roles VALUES
  ('flywheel_ingestion', :'ingestion_password'),
  ('flywheel_feature_store', :'feature_store_password'),
  ('flywheel_trainer', :'trainer_password'),
  ('flywheel_registry', :'registry_password'),
  ('flywheel_deployer', :'deployer_password'),
  ('flywheel_monitor', :'monitor_password');

SELECT format('CREATE ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', name, password)
  FROM service_roles ORDER BY name
\gexec

-- CREATE DATABASE cannot run inside a function or transaction block: \gexec sends each on its own.
SELECT format('CREATE DATABASE %I OWNER %I', name, name) FROM service_roles ORDER BY name
\gexec

SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', name) FROM service_roles ORDER BY name
\gexec

DROP TABLE service_roles;
