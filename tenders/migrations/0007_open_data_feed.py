"""The OCDS and DECP ``?since=`` feeds move onto the one commit-safe change
feed (core.models.ChangeEvent): what was not journalled yet is, in the
writing transaction, by triggers.

* OCDS: one event per release, when its stage is reached — entity
  ``ocds:<stage>``, with the tender's id for a tender stage (``tender``,
  ``closed``, ``cancelled``, ``unsuccessful``, ``contract``) and the award's
  for an award stage (``award``, ``award-cancelled``: the release id carries
  it). ``stages_of`` in tenders/ocds/releases.py is the same rule in Python.
* DECP: direct purchases (``order``); awards and providers are journalled
  already (tenders/0002, catalog/0004).

Releases and orders that exist before this migration are journalled once
here, in release-date order, so that a harvest from the start misses none."""

from django.db import migrations

RECORD = "INSERT INTO catalog_changeevent (entity, entity_id, txid, created_at) VALUES"

FORWARD = f"""
CREATE FUNCTION tenders_tender_ocds_release() RETURNS trigger AS $$
DECLARE
    was_published boolean := false;
    was_closed boolean := false;
    old_status text := '';
    stage text;
    stages text[] := '{{}}';
BEGIN
    IF TG_OP = 'UPDATE' THEN
        was_published := OLD.published_at IS NOT NULL;
        was_closed := OLD.closed_at IS NOT NULL;
        old_status := OLD.status;
    END IF;
    IF NEW.published_at IS NOT NULL AND NOT was_published THEN
        stages := stages || 'ocds:tender'::text;
    END IF;
    IF NEW.closed_at IS NOT NULL AND NOT was_closed THEN
        stages := stages || 'ocds:closed'::text;
    END IF;
    IF NEW.status IN ('cancelled', 'unsuccessful') AND NEW.status <> old_status THEN
        stages := stages || ('ocds:' || NEW.status);
    END IF;
    FOREACH stage IN ARRAY stages LOOP
        {RECORD} (stage, NEW.id, pg_current_xact_id()::text::bigint, now());
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION tenders_award_ocds_release() RETURNS trigger AS $$
DECLARE
    was_signed boolean := false;
BEGIN
    IF TG_OP = 'INSERT' THEN
        {RECORD} ('ocds:award', NEW.id, pg_current_xact_id()::text::bigint, now());
    ELSE
        was_signed := OLD.contract_signed_at IS NOT NULL;
    END IF;
    IF NEW.contract_signed_at IS NOT NULL AND NOT was_signed THEN
        {RECORD} ('ocds:contract', NEW.tender_id, pg_current_xact_id()::text::bigint, now());
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tenders_tender_ocds_release AFTER INSERT OR UPDATE ON tenders_tender
    FOR EACH ROW EXECUTE FUNCTION tenders_tender_ocds_release();
CREATE TRIGGER tenders_award_ocds_release AFTER INSERT OR UPDATE ON tenders_award
    FOR EACH ROW EXECUTE FUNCTION tenders_award_ocds_release();
CREATE TRIGGER tenders_withdrawnaward_ocds_release AFTER INSERT ON tenders_withdrawnaward
    FOR EACH ROW EXECUTE FUNCTION catalog_record_change('ocds:award-cancelled', 'award_id');
CREATE TRIGGER tenders_order_change AFTER INSERT OR UPDATE ON tenders_order
    FOR EACH ROW EXECUTE FUNCTION catalog_record_change('order', 'id');
"""

# What the triggers would have written, for the rows already there.
BACKFILL = """
INSERT INTO catalog_changeevent (entity, entity_id, txid, created_at)
SELECT entity, entity_id, pg_current_xact_id()::text::bigint, now() FROM (
    SELECT 'ocds:tender' AS entity, id AS entity_id, published_at AS at, 0 AS stage
        FROM tenders_tender WHERE published_at IS NOT NULL
    UNION ALL SELECT 'ocds:closed', id, closed_at, 1 FROM tenders_tender WHERE closed_at IS NOT NULL
    UNION ALL SELECT 'ocds:award', award_id, awarded_at, 2 FROM tenders_withdrawnaward
    UNION ALL SELECT 'ocds:award-cancelled', award_id, withdrawn_at, 3 FROM tenders_withdrawnaward
    UNION ALL SELECT 'ocds:' || status, id, coalesce(decided_at, updated_at), 4 FROM tenders_tender
        WHERE status IN ('cancelled', 'unsuccessful')
    UNION ALL SELECT 'ocds:award', id, awarded_at, 5 FROM tenders_award
    UNION ALL SELECT 'ocds:contract', tender_id, contract_signed_at, 6 FROM tenders_award
        WHERE contract_signed_at IS NOT NULL
    UNION ALL SELECT 'order', id, coalesce(decided_at, placed_at), 7 FROM tenders_order
) AS released
ORDER BY at, stage, entity_id;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS tenders_order_change ON tenders_order;
DROP TRIGGER IF EXISTS tenders_withdrawnaward_ocds_release ON tenders_withdrawnaward;
DROP TRIGGER IF EXISTS tenders_award_ocds_release ON tenders_award;
DROP TRIGGER IF EXISTS tenders_tender_ocds_release ON tenders_tender;
DROP FUNCTION IF EXISTS tenders_award_ocds_release();
DROP FUNCTION IF EXISTS tenders_tender_ocds_release();
DELETE FROM catalog_changeevent WHERE entity LIKE 'ocds:%' OR entity = 'order';
"""


class Migration(migrations.Migration):
    dependencies = [("tenders", "0006_wide_order_price"), ("core", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD + BACKFILL, BACKWARD)]
