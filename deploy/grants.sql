-- The app's rights (docs/deploy.md, "Two PostgreSQL roles"). Run as the owner, in one
-- transaction, once the tables exist: after the first migration, after a restore, and
-- in each upgrade; running it again does no harm.
--   sudo -u intake_owner psql -v ON_ERROR_STOP=1 --single-transaction -f /srv/intake/deploy/grants.sql intake
GRANT USAGE ON SCHEMA public TO intake_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO intake_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO intake_app;
REVOKE UPDATE, DELETE ON audit_events FROM intake_app;
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM intake_app;
ALTER DEFAULT PRIVILEGES FOR ROLE intake_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO intake_app;
ALTER DEFAULT PRIVILEGES FOR ROLE intake_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO intake_app;
