"""Local emulator of TD's CDP RT 2.0 configuration API and the TD API v3 discovery calls.

Written from TD's published contract only (CDP OpenAPI ``cdp-api 1.0.0``, TD API v3 OpenAPI,
``api/NOTES.md``); it imports nothing from the rest of rtcfg. Start it with
``python -m rtcfg.emulator [--port 8765]`` or in-process with :class:`EmulatorThread`.

Surface (CDP and ``/v3`` on the same port)
    GET /audiences, GET /audiences/{id}
    GET|PATCH /audiences/{id}/realtime_setting
    GET|POST /audiences/{id}/realtime_key_events, GET|PATCH|DELETE .../realtime_key_events/{keId}
    GET .../realtime_key_events/{keId}/columns, GET .../realtime_event_tables/{db}/{table}/columns
    GET|POST /audiences/{id}/realtime_attributes, GET|PATCH|DELETE .../realtime_attributes/{aId}
    GET /entities/parent_segments/{id}/realtime_personalizations | .../realtime_journeys
        (JSON:API resources, OAS l.6480 / l.6058; answered as application/json, which is the
        response content type the OAS declares for both)
    GET /v3/database/list, /v3/table/list/{db}, /v3/table/show/{db}/{table}
    GET /_emulator/requests | /_emulator/stats | /_emulator/faults | /_emulator/behaviours,
    POST /_emulator/reset | /_emulator/faults | /_emulator/setting  (no auth, never faulted,
    not logged)

Response shapes (from the OAS)
    * POST key event → 200 with the object unwrapped; POST attribute → 200 ``{"data": {...}}``
      (the OAS declares only 200 for both); GET/PATCH single objects unwrapped; DELETE key
      event → the deleted object; DELETE attribute → ``{}``.
    * Lists → ``{"data": [...], "pagination": {"nextPage": path | null}}``; nextPage is the path
      plus query, e.g. ``/audiences/1/realtime_attributes?page%5Bafter%5D=<c>&page%5Bsize%5D=2``
      (other filters carried over). ``page[after]`` is an opaque cursor.
    * ``GET /audiences`` → a plain JSON array (the OAS: ``type: array`` of Audience, no paging).
    * ``GET /audiences/{id}`` → Audience (OAS l.7608), documented fields only: ``{id, name,
      description, scheduleType, scheduleOption, timezone, population, master:
      {parentDatabaseName, parentTableName}, attributes: [AudienceAttribute], behaviors: [],
      createdAt, updatedAt}`` (``--behaviour audience_fields=legacy`` adds the undocumented
      ``masterKeyColumn`` and ``realtimeEnabled`` of older emulators).
    * A never-configured RT segment's setting answers ``status: not_initialized`` (or
      ``initialized``, behaviour ``fresh_status``); its first PATCH goes → updating → ok.
    * Ids are strings of digits from one counter per emulator, monotonic, never reused.
    * Imported attributes appear in GET realtime_attributes as ``{id, name, identifier (= column),
      type: "imported", description: null, realtimeAttributeKind: "batch", column, dataType,
      sensitive: false}``, derived from ``realtime_setting.batchAttributes``.

Error envelopes
    * CDP 4xx: ``{"code": str, "message": str}``; 400s add ``"validationCode"`` from the OAS enum
      (VIOLATES_UNIQUENESS_CONSTRAINT, IS_TOO_SHORT, IS_TOO_LONG, CANNOT_BE_BLANK,
      INVALID_FORMAT_OR_ASSOCIATION, IS_IMMUTABLE, UNKNOWN). Codes: ``validation_error`` (400 on
      a body), ``bad_request`` (400 on JSON syntax / query string), ``unauthorized`` (401),
      ``forbidden`` (403), ``not_found`` (404), ``method_not_allowed`` (405), ``conflict`` (409),
      ``unsupported_media_type`` (415), ``too_many_requests`` (429, with ``Retry-After``).
    * 5xx (injected): ``{"status": n, "error": reason, "details": "injected fault"}`` (OAS
      ServerError).
    * ``/v3`` errors: TD's ErrorResponse ``{error, message, text, severity, status_code}``.

Strict choices (where TD's behaviour is unknown, the strictest plausible one)
    S1  Auth: only ``Authorization: TD1 <key>`` (no Bearer); missing/other → 401. Any non-empty
        key is valid unless ``--api-key``; ``--read-only-key`` gets 403 on POST/PATCH/DELETE.
    S2  A parent segment with RT disabled answers 404 "RT 2.0 is not enabled for parent segment
        N" on every ``realtime_*`` path (behaviour ``rt_disabled=403``: 403).
    S3  PATCH realtime_setting needs all four writable keys (keyColumns, eventTables,
        batchAttributes, extLookupKey); no partial PATCH (``partial_setting_patch=keep``:
        accepted, omitted keys kept).
    S4  Unknown fields are 400 in every body (key event ``description`` is accepted and stored,
        ``key_event_description=dropped``: accepted and dropped; ``sensitive_field=refuse``:
        ``sensitive`` is an unknown field);
        unknown or repeated query parameters are 400 as well.
    S5  After a PATCH the status is ``updating`` for ``update_seconds`` (2 s CLI, 0.2 s thread),
        then ``ok``; a PATCH while ``updating`` → 409 (``patch_while_updating=accept``: taken,
        and the wait starts again).
    S6  A key event's (databaseName, tableName) must be in ``eventTables`` (400); removing an
        event table a key event uses → 409; deleting a key event used by an attribute
        (``realtimeKeyEventId`` or list ``actions[].realtimeKeyEventId``) → 409; removing a batch
        attribute used by an attribute's ``backfill.attributeIdentifier`` → 409.
    S7  Key-event names are unique per parent segment; attribute names and identifiers are
        unique across all attributes of the parent segment including imported ones (400
        VIOLATES_UNIQUENESS_CONSTRAINT). Duplicate keyColumns names, eventTables pairs,
        batchAttributes columns, aggregation and subDuration identifiers: same 400.
    S8  Identifiers (attribute, aggregation, subDuration) match ``^[A-Za-z_][A-Za-z0-9_]*$``.
    S9  Attribute PATCH accepts only name, description, duration, fields, maxItems, actions,
        aggregations, subDurations, and only those that apply to the type (fields/maxItems/
        actions/aggregations: list; subDurations: counter). Any other known field is 400
        IS_IMMUTABLE naming the field EVEN IF ITS VALUE IS UNCHANGED (a client that sends only
        patchable fields works whatever the server does; echoing a whole GET body does not).
        Imported attributes cannot be PATCHed or DELETEd (400 IS_IMMUTABLE): they are managed
        through ``batchAttributes``. POST with type ``imported`` or ``lookupCatalog`` → 400.
    S10 Limits: duration ``{value: integer >= 1, unit: minute|hour|day}``; list ``maxItems``
        integer 1..100 and duration <= 60 days; ``aggregationType`` in first|last|sum|min|max|
        distinct_list; ``counterType`` sliding|total (default sliding); ``increment`` is
        ``{type: const, value: integer >= 1}`` or ``{type: field, value: <number column>}``;
        counter subDurations no longer than the duration; single ``dataType`` number|string
        and it must match the value column (number column → number, else string); <= 100
        event tables; <= 100 key columns.
    S11 Filters: the aggregate length is at most 1000 characters per parent segment, counted as
        the sum, over every key-event ``filterRule``, attribute ``filterRule`` and list
        ``actions[].filterRule`` with at least one condition, of the length of its compact
        JSON (``json.dumps(rule, separators=(",", ":"), ensure_ascii=False)``); empty rules
        count 0. Over → 400 IS_TOO_LONG.
    S12 ``filterRule`` is required and never null on key events; everywhere it must be
        ``{"type": "And"|"Or", "conditions": [object, ...]}`` (conditions are not checked
        further). Attributes default it to the empty And.
    S13 ``extLookupKey`` cannot return to null once set (400), and when set it must be the
        parent segment's profile key (the seed's ``profileKey``), not a stitching key (400).
    S14 Every ``keyColumns[].name`` must be a string column of at least one of the new
        ``eventTables``; ``validRegexp`` must compile (Python ``re``); event tables must exist
        in the TD databases; batchAttributes columns must be attributes of the parent segment.
    S15 Attribute columns (valueColumn, idColumn, fields, aggregations[].column, increment field)
        must exist in the key event's table; referenced key events must exist (400).
    S16 ``sensitive`` is accepted on single attributes only (the OAS read schemas of list and
        counter have ``additionalProperties: false`` without it).
    S17 Request bodies must be ``Content-Type: application/json`` (else 415) and valid JSON
        (else 400); ``Transfer-Encoding`` (chunked) is not supported (connection closed).
    S18 ``page[size]`` must be an integer 1..1000 (default 100); ``sorted_by`` among id:asc,
        id:desc, name:asc, name:desc; ``types`` values among the five attribute types.
    S19 The Audience carries no RT flag and no profile key (OAS l.7608): RT 2.0 shows only in
        the realtime_setting answer (S2), the profile key only in ``attributes[].foreignKey``.

Seed format (:mod:`.seed_format`, the same for ``--state`` files): every key but a parent
segment's ``id`` and a database's or table's ``name`` is optional; missing ones get defaults at
load (empty lists, null description/extLookupKey/statusDetailed, the empty And filter rule, new
ids). A segment with a ``realtime`` block is RT-enabled unless ``"realtimeEnabled": false``; its
status defaults to ``ok`` when it configures anything, else ``not_initialized``. A seed no
default can mend (a segment without id, a list that is an object) is a ValueError naming where.
An exception while answering (a rule missing) is a 500 ServerError whose ``details`` name the
request and the exception; 4xx answers come only from rules.

Behaviours (``--behaviour NAME=VALUE``, ``--list-behaviours``; :mod:`.behaviours`): switches for
each reading the contract leaves open; the defaults are the strict choices above.

TD API v3 (``/v3``, shapes of api/td-api-v3-openapi.yml)
    ``database/list`` → ``{"databases": [DatabaseWithoutIdAndDatatank]}``; ``table/list/{db}``
    → ``{"database", "tables": [Table]}`` with every table's ``schema`` (a JSON string of
    ``[name, type]``, or ``[name, type, alias, description]`` with ``include_descriptions``);
    ``table/show/{db}/{table}`` → one Table. Table ids are 50001, 50002, … in seed order. A seed
    table may give ``lastLogSecondsAgo`` (``last_log_timestamp`` = now minus that, so it looks
    alive whenever the emulator runs) or a fixed ``lastLogTimestamp``; ``updated_at`` is the
    seed's ``updatedAt``, else the time of the last log.

Faults (never on ``/_emulator``): ``POST /_emulator/faults`` merges ``{"rate", "kinds", "seed",
"latency_ms", "jitter_ms", "rate_limit", "retry_after": seconds|http-date|none, "hang_seconds",
"script": [{"method", "path" (fnmatch), "fault", "times"}]}``. Kinds: 408, 500, 501, 502, 503,
504 (that status, nothing done), 429, drop
(close, no answer), lost_response (commit, then close), reset (headers + half the body, close),
truncated (Content-Length larger than the body, close), non_json (200 with an HTML body),
hang_before_commit (sleep ``hang_seconds``, close), hang_after_commit (commit, sleep, close),
504_after_commit (commit, then answer 504 as a gateway that timed out would). Write faults
(lost_response, hang_after_commit, 504_after_commit) commit first; all others fail before doing
anything. One function (:func:`.acting.act_out`) acts a decision out, for the socket server and
for any in-process transport alike. Script entries are consumed in order before the seeded
random draw. The token bucket (``rate_limit`` req/s, burst max(1, rate)) answers 429 with
``Retry-After``. The request log
(``GET /_emulator/requests``) is ``[{method, path (no query), status, fault}]`` where status is
the status produced (also for a lost response) or null when none was; an entry is logged
before its answer is sent.

The setting's status (``POST /_emulator/setting``, :mod:`.setting_status`): ``{"parent_segment":
id, "status": "updating"|"inconsistent"|"not_initialized", "polls": N|null, "status_detailed":
{...}, "when": "now"|"next_patch", "concurrent_patch": {setting}}``. That status for the next
N GETs of the setting (null: until reset; ``inconsistent``, with that statusDetailed, also
ends at the next PATCH); ``next_patch`` holds it back until a PATCH is accepted;
``concurrent_patch`` is another writer's PATCH applied just before the next PATCH (which then
meets a changed setting that is still updating: 409). The answer shows what is held.
"""

from __future__ import annotations

from .app import Emulator
from .cli import main
from .server import EmulatorThread

__all__ = ["Emulator", "EmulatorThread", "main"]
