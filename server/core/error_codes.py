"""Every error code the server answers with: its HTTP status, its message, when it is raised.

Like a problem catalogue: a code is raised by name (``AppError("defect_not_found")``) and
takes its status and message key from here, so one code cannot answer with two statuses.
`keys` are other, more exact messages a raise may choose (``key=``) for the same problem.
A field's fault inside a 422 (a sync record's, a completion's, a form's) has a code here
too, with the status of the refusal that carries it. `generic` codes name the framework's
own refusals of that status (no route, not signed in, a body the framework refused).

docs/errors.md is generated from this table (`python -m server.core.error_codes`), and
tests/test_error_codes.py checks that every code raised is here and documented, and that
every code here is raised somewhere. The message keys are in the catalogue in both languages.
The standards engine's own codes (`EvaluationError`) are catalogued with it, in
docs/standards-format.md: `standards/` needs nothing of the server.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    """One code: the HTTP status it answers with, its message key, and when it is raised."""

    status: int
    key: str
    description: str
    keys: tuple[str, ...] = ()
    generic: bool = False

    def allows(self, key: str) -> bool:
        """Whether a raise of this code may word it with `key`."""
        return key == self.key or key in self.keys


def _e(status: int, key: str, description: str, *keys: str, generic: bool = False) -> ErrorCode:
    return ErrorCode(status, key, description, keys, generic)


CODES: dict[str, ErrorCode] = {
    # The framework's refusals, by status (server/core/errors.py words them).
    "bad_request": _e(400, "error.400", "The request is not valid.", generic=True),
    "not_signed_in": _e(401, "error.401", "Signing in is needed first.", "auth.required", generic=True),
    "forbidden": _e(403, "error.403", "The user's role may not do this.", "auth.forbidden", generic=True),
    "csrf_failed": _e(403, "error.csrf", "A form was posted without the page's CSRF token (or with an old one)."),
    "not_found": _e(404, "error.404", "No route, page or record at this address.", generic=True),
    "method_not_allowed": _e(405, "error.405", "The address does not take this method.", generic=True),
    "conflict": _e(409, "error.409", "The request conflicts with a stored record.", generic=True),
    "too_large": _e(413, "error.413", "The request body is larger than the server takes.", generic=True),
    "unsupported_media_type": _e(415, "error.400", "The body's content type is not one this address takes.",
                                 generic=True),
    "invalid": _e(422, "error.400", "The framework refused the body or a parameter; each field is named.",
                  "error.field_invalid", generic=True),
    "rate_limited": _e(429, "error.429", "Too many requests; the answer says when to try again.", generic=True),
    "internal_error": _e(500, "error.500", "A fault of the server; it is logged.", generic=True),
    "insufficient_storage": _e(507, "error.500", "The server's storage is full.", generic=True),

    # Text and the database (server/core/text.py, server/core/errors.py).
    "bad_text": _e(422, "text.bad_field", "Text holds U+0000 or half an emoji (a lone surrogate), which no column "
                   "stores alike on both databases.", "text.bad", "error.unstorable_text"),
    "unstorable_text": _e(400, "error.unstorable_text", "PostgreSQL refused text the request carried (U+0000)."),
    "database_unavailable": _e(503, "error.database_unavailable", "The database cannot be reached or stayed "
                               "busy; the answer has Retry-After."),

    # The sync protocol's envelope (sync/protocol.py) and its refusals of one record.
    "malformed_json": _e(400, "sync.malformed_json", "The body is not strict JSON (line and column named when "
                         "known).", "sync.malformed_json_plain", "wo.malformed_json"),
    "bad_batch": _e(422, "sync.bad_batch", "A sync batch is not an object with only a list of records.",
                    "sync.unknown_batch_key"),
    "too_many_records": _e(422, "sync.too_many_records", "A sync batch has more records than one batch may."),
    "bad_record": _e(422, "sync.bad_record", "A record is not an object of kind, id and body only."),
    "unknown_kind": _e(422, "sync.unknown_kind", "A record's kind (or a schedule's kind) is not a known one.",
                       "rounds.unknown_kind"),
    "bad_record_id": _e(422, "sync.bad_record_id", "A record id is not a UUID."),
    "invalid_record": _e(422, "sync.invalid_record", "A record or completion was refused; `errors` names each "
                         "faulty field.", "completion.invalid"),
    "record_conflict": _e(409, "sync.record_conflict", "The record id was received before with another body."),
    "photos_missing": _e(428, "sync.photos_missing", "The record names photos not uploaded yet; `missing` lists "
                         "them.", "completion.photos_missing"),
    "bad_since": _e(422, "sync.bad_since", "The offline bundle's `since` is not a time with its offset."),

    # A field of a record body (sync/fields.py and the domains' planners).
    "required": _e(422, "sync.required", "A required field is absent, null or blank.", "adminf.required",
                   "views.device_name_required"),
    "unknown_field": _e(422, "sync.unknown_field", "The body has a field the server does not know.",
                        "completion.unknown_field"),
    "bad_type": _e(422, "sync.expected_object", "A field has the wrong JSON type.", "sync.expected_uuid",
                   "sync.expected_string", "sync.expected_datetime", "sync.expected_position",
                   "sync.expected_number", "sync.expected_list", "sync.expected_boolean",
                   "sync.expected_clause_results"),
    "too_long": _e(422, "sync.too_long", "Text longer than the field takes.", "adminf.too_long"),
    "no_offset": _e(422, "sync.datetime_no_offset", "A time without its time-zone offset."),
    "in_future": _e(422, "sync.datetime_in_future", "A time more than five minutes ahead of the server's clock.",
                    "completion.in_future", "completion.photo_in_future"),
    "too_early": _e(422, "sync.datetime_too_early", "A time before the year 2000."),
    "out_of_range": _e(422, "sync.out_of_range", "A number outside the range the field takes.",
                       "adminf.out_of_range", "rounds.out_of_range"),
    "too_many": _e(422, "sync.too_many_photos", "More photos than one inspection or hazard may name."),
    "bad_photo_hash": _e(422, "sync.bad_photo_hash", "A photo is not named by its SHA-256 in lower-case hex."),
    "bad_damage_index": _e(422, "sync.bad_damage_index", "A photo's damage_index names no damage of the body."),
    "photo_required": _e(422, "sync.photo_required", "A failed clause that needs a photo has none."),
    "unknown_asset": _e(422, "sync.unknown_asset", "The asset is not one of the user's zones."),
    "asset_inactive": _e(422, "sync.asset_inactive", "The asset is no longer in use."),
    "unknown_category": _e(422, "sync.unknown_category", "A category no standards version in force knows.",
                           "hazard.unknown_category", "rounds.unknown_category"),
    "unknown_severity": _e(422, "hazard.unknown_severity", "A hazard's severity is not one of the known ones."),
    "no_asset_near": _e(422, "hazard.no_asset_near", "No asset of the user's zones is near the hazard."),
    "position_outside_zones": _e(422, "sync.position_outside_zones", "A new asset's position is in no zone."),
    "zone_not_assigned": _e(422, "sync.zone_not_assigned", "A new asset's position is in a zone not the user's."),

    # A work-order completion (server/workorders/completion.py, proof.py).
    "bad_body": _e(422, "completion.bad_body", "The body is not a JSON object.", "wo.bad_body"),
    "order_mismatch": _e(422, "completion.order_mismatch", "The completion names another work order."),
    "bad_time": _e(422, "completion.bad_time", "A time that is not ISO 8601 with its offset (or a schedule's "
                   "time not HH:MM).", "completion.photo_bad_time", "rounds.bad_time"),
    "bad_notes": _e(422, "completion.bad_notes", "The notes are not text, or too long."),
    "bad_position": _e(422, "completion.bad_position", "The phone's position is not a position on the planet."),
    "proof_photo_required": _e(422, "completion.photo_required", "A completion without after photos."),
    "too_many_photos": _e(422, "completion.too_many_photos", "More photos than one completion (or one photo "
                          "query) may have.", "photos.too_many"),
    "bad_photo": _e(422, "completion.bad_photo", "A photo entry is not an object of the known fields."),
    "bad_sha256": _e(422, "completion.bad_sha256", "A photo is not named by its SHA-256."),
    "duplicate_photo": _e(422, "completion.duplicate_photo", "The same photo is listed twice."),
    "photo_position_missing": _e(422, "completion.photo_no_position", "A photo without a position."),
    "before_order": _e(422, "completion.completed_before_order", "The completion time is before the order."),
    "photo_uploaded_before_order": _e(422, "completion.photo_uploaded_before_order",
                                      "The photo reached the server before the order was issued."),
    "photo_is_defect_evidence": _e(422, "completion.photo_is_defect_evidence",
                                   "The photo is a defect's evidence, not an after photo."),
    "photo_already_used": _e(422, "completion.photo_already_used", "The photo proves another completion."),
    "photo_before_order": _e(422, "completion.photo_before_order",
                             "The phone took the photo before the order was issued."),
    "photo_exif_before_order": _e(422, "completion.photo_exif_before_order",
                                  "The photo's EXIF time is before the order was issued."),
    "photo_too_far": _e(422, "completion.photo_too_far", "The photo was taken too far from every defect."),
    "photo_exif_too_far": _e(422, "completion.photo_exif_too_far",
                             "The photo's EXIF position is too far from its defect."),
    "defect_without_proof": _e(422, "completion.defect_without_proof", "A defect of the order has no after photo."),

    # Work orders (server/workorders/).
    "work_order_not_found": _e(404, "wo.not_found", "No such work order, or not the user's company's."),
    "defect_not_found": _e(404, "defect.not_found", "No such defect, or not the user's to see."),
    "unknown_action": _e(404, "wo.unknown_action", "No such work-order action."),
    "action_not_allowed": _e(403, "wo.only_contractor", "The step is the other role's (contractor or supervisor).",
                             "wo.only_supervisor"),
    "illegal_transition": _e(409, "wo.illegal.complete", "The order's status does not allow this step.",
                             "wo.illegal.accept", "wo.illegal.start", "wo.illegal.verify", "wo.illegal.return",
                             "wo.illegal.cancel"),
    "proof_required": _e(422, "wo.complete_needs_proof", "Completing without proof of fix (use the order page)."),
    "defects_required": _e(422, "wo.defects_required", "A work order without defects."),
    "too_many_defects": _e(422, "wo.too_many_defects", "More defects than one work order may have."),
    "defect_not_open": _e(409, "wo.defect_not_open", "The defect is not open (ordered, closed or dismissed).",
                          "defect.dismiss_not_open"),
    "defect_not_passed": _e(409, "defect.close_not_passed", "Closing a defect no later inspection found passing."),
    "no_covering_contract": _e(422, "wo.no_covering_contract", "No contract covers the defects' zone and category."),
    "contract_required": _e(422, "wo.contract_required", "Several contracts cover the defects: choose one."),
    "contract_not_covering": _e(422, "wo.contract_not_covering", "The chosen contract does not cover the defects."),
    "bad_due_at": _e(422, "wo.bad_due_at", "The due time is not a date and time."),
    "due_in_past": _e(422, "wo.due_in_past", "The due time is not in the future."),
    "order_closed": _e(409, "wo.due_order_closed", "The due time of a finished order."),
    "order_code_busy": _e(409, "wo.code_busy", "Another order took the same number at the same moment."),
    "notes_too_long": _e(422, "wo.notes_too_long", "Notes longer than a step takes."),
    "reason_required": _e(422, "defect.reason_required", "A step that needs a reason has none.",
                          "rounds.reason_required", "scoring.reason_required"),
    "reason_too_long": _e(422, "defect.reason_too_long", "A reason longer than it may be.", "scoring.reason_too_long"),
    "bad_id": _e(422, "filter.bad_id", "An id that is not a UUID."),
    "bad_filter": _e(422, "filter.bad_choice", "A list filter's value is not valid.", "filter.too_many",
                     "filter.bad_bbox", "filter.bad_range", "filter.bad_date", "filter.bad_number"),
    "contractor_not_found": _e(404, "webhook.no_company", "The user's contractor company (or the contractor) does "
                               "not exist.", "adminf.not_found"),
    "bad_webhook_url": _e(422, "webhook.bad_url", "A webhook receiver that is not an http(s) URL."),
    "private_webhook_url": _e(422, "webhook.private_url", "A webhook receiver on a private address."),

    # Photos (server/photos/).
    "photo_too_large": _e(413, "photos.too_large", "The photo is larger than the upload limit."),
    "photo_type_unsupported": _e(415, "photos.type_unsupported", "Not a JPEG, PNG or WebP image (HEIC named).",
                                 "photos.heic_unsupported"),
    "photo_unreadable": _e(422, "photos.unreadable", "The image is damaged or incomplete."),
    "photo_decompression_bomb": _e(422, "photos.decompression_bomb", "The image has too many pixels."),
    "photo_hash_invalid": _e(422, "photos.hash_invalid", "A photo name that is not a SHA-256."),
    "photo_hash_mismatch": _e(422, "photos.hash_mismatch", "The bytes received do not have their SHA-256 name."),
    "upload_interrupted": _e(400, "photos.upload_interrupted", "The upload ended before its bytes did."),
    "upload_in_progress": _e(409, "photos.upload_in_progress", "The same photo is being uploaded elsewhere."),
    "upload_offset_mismatch": _e(409, "photos.offset_mismatch", "A resumed piece does not start where the "
                                 "received bytes end; Upload-Offset says where."),
    "upload_offset_invalid": _e(422, "photos.offset_invalid", "A resume position that is not valid."),
    "upload_total_invalid": _e(422, "photos.total_invalid", "A photo's announced total size is not valid."),
    "upload_total_mismatch": _e(409, "photos.total_mismatch", "The upload was started with another total size."),
    "upload_exceeds_total": _e(422, "photos.exceeds_total", "A piece goes beyond the announced total size."),
    "media_storage_full": _e(507, "photos.storage_full", "The photo storage is full; the phone keeps the photo."),
    "media_store_unavailable": _e(503, "photos.store_unavailable", "The object store did not answer; the answer "
                                  "has Retry-After."),

    # Scoring (server/scoring/).
    "bad_month": _e(400, "scoring.bad_month", "A month that is not YYYY-MM."),
    "unknown_site": _e(404, "scoring.unknown_site", "No such site."),
    "unknown_scope": _e(404, "scoring.unknown_scope", "A scope that is not site, zone:CODE, contractor:CODE or "
                        "category:KEY, or a site's scope without the site."),
    "unknown_zone": _e(404, "scoring.unknown_zone", "A scope's zone that does not exist."),
    "unknown_contractor": _e(404, "scoring.unknown_contractor", "A scope's contractor that does not exist."),
    "category_not_found": _e(404, "inspect.category_not_found", "A category named in the address that no "
                             "standards version knows.", "scoring.unknown_category"),
    "unknown_figure": _e(400, "error.field_invalid", "A score figure that does not exist."),
    "unknown_part": _e(400, "error.field_invalid", "A part of the monthly report that does not exist."),
    "no_scoring_rule": _e(404, "scoring.no_rule", "No scoring rule was in force that month."),
    "month_closed": _e(409, "scoring.already_closed", "The month is closed already."),
    "month_not_closed": _e(409, "scoring.not_closed", "Reopening a month that is not closed."),
    "month_not_over": _e(409, "scoring.month_not_over", "Closing a month that is not over."),
    "pdf_unavailable": _e(503, "scoring.pdf_unavailable", "No Chinese font on the server, so no PDF."),

    # Rounds and schedules (server/rounds/).
    "bad_day": _e(422, "rounds.bad_day", "A day that is not YYYY-MM-DD."),
    "bad_window": _e(422, "rounds.bad_window", "A window that ends before it starts."),
    "no_weekdays": _e(422, "rounds.no_weekdays", "A weekly schedule without weekdays."),
    "version_exists": _e(422, "rounds.version_exists", "The zone and category have a schedule version that day."),
    "already_closed": _e(409, "rounds.already_closed", "The emergency round is closed already."),
    "emergency_not_found": _e(404, "rounds.emergency_not_found", "No such emergency round."),
    "bad_week": _e(422, "report.bad_week", "A week that is not YYYY-Www."),

    # Pages and their forms (server/admin/fields.py: a form problem's code is its key's last part).
    "invalid_form": _e(422, "adminf.invalid", "A form was refused; `errors` names each bad field."),
    "bad_field": _e(422, "text.bad_field", "A form field holds text that cannot be stored (see bad_text)."),
    "bad_code": _e(422, "adminf.bad_code", "A code with other than letters, digits, - _ ."),
    "not_number": _e(422, "adminf.not_number", "A number field that is not a number."),
    "bad_date": _e(422, "adminf.bad_date", "A date that is not YYYY-MM-DD."),
    "unknown_choice": _e(422, "adminf.unknown_choice", "A value that is not one of the choices offered.",
                         "rounds.unknown_zone"),
    "choose_one": _e(422, "adminf.choose_one", "A choice of at least one left empty."),
    "code_taken": _e(422, "adminf.code_taken", "The code is taken already."),
    "ends_before_start": _e(422, "adminf.ends_before_start", "An end before the start."),
    "not_yourself": _e(422, "adminf.not_yourself", "An admin deactivating themselves or dropping their admin role."),
    "zone_outside_sites": _e(422, "adminf.zone_outside_sites", "A user's zones outside the user's sites."),
    "outside_zone": _e(422, "adminf.outside_zone", "An asset's position outside its zone."),
    "too_short": _e(422, "password.too_short", "A password shorter than the rule's minimum."),
    "contains_username": _e(422, "password.contains_username", "A password holding the username."),
    "needs_mix": _e(422, "password.needs_mix", "A password of letters only, or without letters."),
    "outline_not_json": _e(422, "adminf.outline_not_json", "An outline that is not JSON."),
    "outline_not_polygon": _e(422, "adminf.outline_not_polygon", "An outline that is not a GeoJSON polygon."),
    "outline_off_planet": _e(422, "adminf.outline_off_planet", "An outline with coordinates off the planet."),
    "outline_invalid": _e(422, "adminf.outline_invalid", "A polygon that is not valid (it crosses itself)."),
    "asset_not_found": _e(404, "inspect.asset_not_found", "No such asset, or not in the user's zones.",
                          "adminf.not_found"),
    "zone_not_found": _e(404, "qr.zone_not_found", "No such zone.", "adminf.not_found"),
    "site_not_found": _e(404, "adminf.not_found", "No such site."),
    "user_not_found": _e(404, "adminf.not_found", "No such user."),
    "contract_not_found": _e(404, "adminf.not_found", "No such contract."),
    "inspection_not_found": _e(404, "inspection.not_found", "No such inspection."),
    "standards_version_not_found": _e(404, "standards.version_not_found", "No such standards version."),
    "unknown_import": _e(404, "imports.unknown_job", "No such import job."),
    "import_not_previewed": _e(409, "imports.not_previewed", "Confirming an import that is not waiting."),

    # Installing a standards version (server/standards_admin/: the page answers 422).
    "standards_no_files": _e(422, "standards_admin.no_files", "No files uploaded."),
    "standards_bad_upload": _e(422, "standards_admin.bad_upload", "An upload that is not .yaml, .yml or .zip."),
    "standards_file_invalid": _e(422, "standards_admin.file_invalid", "A standards file fails to load (file, line "
                                 "and key named)."),
    "standards_date_past": _e(422, "standards_admin.date_past", "A version effective today or earlier."),
    "standards_version_taken": _e(422, "standards_admin.version_taken", "The version exists already."),
    "standards_date_taken": _e(422, "standards_admin.date_taken", "A version is effective from that date already."),
    "standards_month_closed": _e(422, "standards_admin.month_closed", "The version would change a closed month."),
    "standards_form_invalid": _e(422, "standards_admin.form_invalid", "The standards editor's form has a fault.",
                                 "standards_admin.bad_choice", "standards_admin.bad_clause_id",
                                 "standards_admin.bad_date", "standards_admin.bad_key", "standards_admin.bad_line",
                                 "standards_admin.bad_version", "standards_admin.key_taken",
                                 "standards_admin.no_clauses", "standards_admin.not_a_number",
                                 "standards_admin.required"),
}

# Headlines that word a refusal of one field's fault by that fault's code, the fault's own
# message as their {reason} (a completion with one fault: server/workorders/completion.py).
HEADLINES = frozenset({"completion.invalid"})

# The code of a framework refusal (an HTTPException that is no AppError) by its status.
GENERIC_BY_STATUS = {entry.status: code for code, entry in CODES.items() if entry.generic}


def lookup(code: str, key: str | None = None) -> ErrorCode:
    """The table's entry for `code`; ValueError for a code not in it or a key it does not allow."""
    entry = CODES.get(code)
    if entry is None:
        raise ValueError(f"error code {code!r} is not in server/core/error_codes.py")
    if key is not None and not (entry.allows(key) or (key in HEADLINES and entry.status == 422)):
        raise ValueError(f"error code {code!r} is not worded by {key!r} (server/core/error_codes.py)")
    return entry


def markdown() -> str:
    """docs/errors.md: every code, its status, its message key and when it is raised."""
    lines = [
        "# Error codes",
        "",
        "Generated from `server/core/error_codes.py` by `python -m server.core.error_codes > docs/errors.md`;",
        "tests/test_error_codes.py fails when this file falls behind the table.",
        "",
        "Every refusal carries one of these codes: JSON clients get",
        '`{"code", "message", "field", "errors": [...]}`, pages show the message. A code always',
        "answers with the same HTTP status; codes of a field's fault (in `errors`) have the status of",
        "the refusal that carries them. The message is the key's text in the user's language",
        "(zh or en); *other keys* are more exact messages some raises choose. A completion refused",
        "for one fault answers with that fault's code, worded `completion.invalid` with the reason.",
        "The standards engine's codes are in [standards-format.md](standards-format.md).",
        "",
        "| code | status | message key | when | other keys |",
        "|---|---|---|---|---|",
    ]
    for code in sorted(CODES):
        entry = CODES[code]
        others = ", ".join(f"`{k}`" for k in entry.keys)
        when = entry.description + (" (the framework's)" if entry.generic else "")
        lines.append(f"| `{code}` | {entry.status} | `{entry.key}` | {when} | {others} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
