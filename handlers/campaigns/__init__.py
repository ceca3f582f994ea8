"""Door-knocking campaigns (issue 15): `manage` creates, changes, reassigns and closes them (for
chat and the CLI alike), `chat` reads `/campaign …`, `visit_record` and `visit_items` record a
visit from chat, `coverage` counts it, `report_file` and `bulletin` write it up for leadership."""
