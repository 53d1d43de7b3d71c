"""Change feed triggers for tenders and awards (catalog.models.ChangeEvent
explains the transaction-id ordering). The function is catalog's."""

from django.db import migrations

FORWARD = """
CREATE TRIGGER tenders_tender_change AFTER INSERT OR UPDATE ON tenders_tender
    FOR EACH ROW EXECUTE FUNCTION catalog_record_change('tender', 'id');
CREATE TRIGGER tenders_award_change AFTER INSERT OR UPDATE ON tenders_award
    FOR EACH ROW EXECUTE FUNCTION catalog_record_change('award', 'id');
"""

BACKWARD = """
DROP TRIGGER IF EXISTS tenders_award_change ON tenders_award;
DROP TRIGGER IF EXISTS tenders_tender_change ON tenders_tender;
"""


class Migration(migrations.Migration):
    dependencies = [("tenders", "0001_initial"), ("catalog", "0004_change_feed_triggers")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
