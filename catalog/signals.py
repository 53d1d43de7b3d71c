"""Domain events of the catalogue. ``catalog`` knows no other app: it
announces what happened here and ``broker`` reacts (re-assessment, matching,
audit, notifications). Every event is sent inside the transaction of the
change; receivers defer their side effects with ``transaction.on_commit``."""

from django.dispatch import Signal

# An input of the policy engine changed for these offers (offer edit,
# certification change or verification, ownership change, subcontractor
# change). Arguments: offer_ids (list[int] | None for "all"), reason (str).
offer_inputs_changed = Signal()

# Stored assessments changed. Arguments: offer_ids (list[int]).
assessments_changed = Signal()

# An offer's place in open tenders may have changed: published, withdrawn,
# its ranking inputs edited, its provider suspended or reactivated.
# Arguments: offer_id, status (the new status, "edited" or the provider's
# action).
offer_status_changed = Signal()

# An offer changed status (catalog.services.offers._offer_transition), for
# the audit chain. Arguments: offer_id, action ("offer.published",
# "offer.withdrawn"), actor (a user or None: the system), organisation (the
# provider's name), data ({"from", "to", "reason"}).
offer_transitioned = Signal()

# The operator decided on a certificate or a provider. Arguments: actor,
# action ("certification.verify", ...), object_type, object_id, data.
operator_decided = Signal()
