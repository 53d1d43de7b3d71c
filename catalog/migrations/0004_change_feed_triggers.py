"""Triggers that write catalog_changeevent for every change of an offer
(its row or its assessment). See catalog.models.ChangeEvent for why the
feed reads transaction ids."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION catalog_record_change() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_changeevent (entity, entity_id, txid, created_at)
    VALUES (TG_ARGV[0], (to_jsonb(NEW) ->> TG_ARGV[1])::bigint,
            pg_current_xact_id()::text::bigint, now());
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER catalog_offer_change AFTER INSERT OR UPDATE ON catalog_offer
    FOR EACH ROW EXECUTE FUNCTION catalog_record_change('offer', 'id');
CREATE TRIGGER catalog_assessment_change AFTER INSERT OR UPDATE ON catalog_offerassessment
    FOR EACH ROW EXECUTE FUNCTION catalog_record_change('offer', 'offer_id');
CREATE TRIGGER catalog_provider_change AFTER INSERT OR UPDATE ON catalog_provider
    FOR EACH ROW EXECUTE FUNCTION catalog_record_change('provider', 'id');
"""

BACKWARD = """
DROP TRIGGER IF EXISTS catalog_provider_change ON catalog_provider;
DROP TRIGGER IF EXISTS catalog_assessment_change ON catalog_offerassessment;
DROP TRIGGER IF EXISTS catalog_offer_change ON catalog_offer;
DROP FUNCTION IF EXISTS catalog_record_change();
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_change_feed")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
