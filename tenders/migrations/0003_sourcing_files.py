"""Saved sourcing files (issue 8), their link from tenders and orders, and
the database's guarantee that a locked file never changes: a trigger
refuses any UPDATE or DELETE of a locked row. The only change let through
is the user columns going NULL when a user account is deleted (their
ON DELETE SET NULL), which alters nothing of the record or its digest."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LOCK_GUARD = """
CREATE FUNCTION tenders_sourcingfile_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.locked_at IS NULL THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'sourcing file % is locked: it cannot be deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (to_jsonb(NEW) - 'created_by_id' - 'locked_by_id')
       IS DISTINCT FROM (to_jsonb(OLD) - 'created_by_id' - 'locked_by_id')
       OR (NEW.created_by_id IS NOT NULL AND NEW.created_by_id IS DISTINCT FROM OLD.created_by_id)
       OR (NEW.locked_by_id IS NOT NULL AND NEW.locked_by_id IS DISTINCT FROM OLD.locked_by_id) THEN
        RAISE EXCEPTION 'sourcing file % is locked: it cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER tenders_sourcingfile_frozen BEFORE UPDATE OR DELETE ON tenders_sourcingfile
    FOR EACH ROW EXECUTE FUNCTION tenders_sourcingfile_frozen();
"""

LOCK_GUARD_REVERSE = """
DROP TRIGGER IF EXISTS tenders_sourcingfile_frozen ON tenders_sourcingfile;
DROP FUNCTION IF EXISTS tenders_sourcingfile_frozen();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('tenders', '0002_change_feed_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SourcingFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('filters', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('locked_at', models.DateTimeField(blank=True, null=True)),
                ('policy_version', models.PositiveIntegerField(blank=True, null=True)),
                ('snapshot', models.JSONField(blank=True, null=True)),
                ('snapshot_sha256', models.CharField(blank=True, max_length=64)),
                ('digest_state', models.JSONField(blank=True, default=dict)),
                ('digest_at', models.DateTimeField(blank=True, null=True)),
                ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='sourcing_files', to='tenders.agency')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('locked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='order',
            name='sourcing_file',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='tenders.sourcingfile'),
        ),
        migrations.AddField(
            model_name='tender',
            name='sourcing_file',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tenders', to='tenders.sourcingfile'),
        ),
        migrations.AddIndex(
            model_name='sourcingfile',
            index=models.Index(fields=['locked_at'], name='tenders_sou_locked__683f42_idx'),
        ),
        migrations.AddConstraint(
            model_name='sourcingfile',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('locked_at__isnull', True), ('snapshot__isnull', True), ('snapshot_sha256', '')), models.Q(('locked_at__isnull', False), ('snapshot__isnull', False), ('snapshot_sha256__regex', '^[0-9a-f]{64}$')), _connector='OR'), name='sourcing_file_lock_complete'),
        ),
        migrations.RunSQL(LOCK_GUARD, LOCK_GUARD_REVERSE),
    ]
