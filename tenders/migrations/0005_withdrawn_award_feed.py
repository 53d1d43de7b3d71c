"""A withdrawn award enters the awards' change feed (catalog.models.ChangeEvent)
under its own award id: the Award row is deleted at the withdrawal and its
facts move to tenders_withdrawnaward, so a mirroring client hears of the
withdrawal from the history row's insertion."""

from django.db import migrations

FORWARD = """
CREATE TRIGGER tenders_withdrawnaward_change AFTER INSERT ON tenders_withdrawnaward
    FOR EACH ROW EXECUTE FUNCTION catalog_record_change('award', 'award_id');
"""

BACKWARD = """
DROP TRIGGER IF EXISTS tenders_withdrawnaward_change ON tenders_withdrawnaward;
"""


class Migration(migrations.Migration):
    dependencies = [("tenders", "0004_standstill_complaints")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
