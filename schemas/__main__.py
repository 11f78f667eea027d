"""``python -m schemas`` rewrites the checked-in JSON Schema files from the types."""

import json
from pathlib import Path

from schemas.alert import alert_json_schema
from schemas.event import event_json_schema

HERE = Path(__file__).parent

if __name__ == "__main__":
    for name, schema in (("alert", alert_json_schema()), ("event", event_json_schema())):
        (HERE / f"{name}.schema.json").write_text(
            json.dumps(schema, indent=2, sort_keys=True) + "\n"
        )
