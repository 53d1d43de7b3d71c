"""The audit table is append-only: the database itself refuses UPDATE and
DELETE, so tampering needs a deliberate ALTER TABLE ... DISABLE TRIGGER (and
is then caught by `manage.py audit_verify`)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION broker_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit chain is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER broker_audit_append_only
    BEFORE UPDATE OR DELETE ON broker_auditevent
    FOR EACH ROW EXECUTE FUNCTION broker_audit_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS broker_audit_append_only ON broker_auditevent;
DROP FUNCTION IF EXISTS broker_audit_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("broker", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
